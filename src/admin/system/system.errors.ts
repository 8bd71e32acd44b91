import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { text } from '../../shared/i18n/translate.js';

/** Stable error codes of the system module (the operations API behind `/admin`). */
export const SystemError = defineErrors('system', {
  DEAD_LETTER_NOT_FOUND: { code: 'ERR_DEAD_LETTER_NOT_FOUND', status: 404 },
  REPLAY_NOW_FAILED: { code: 'ERR_REPLAY_NOW_FAILED', status: 500 },
  BACKUP_RUNNING: { code: 'ERR_BACKUP_RUNNING', status: 409 },
  BACKUP_NOW_FAILED: { code: 'ERR_BACKUP_NOW_FAILED', status: 500 },
});

/** No dead letter with this receipt in the caller's tenant. */
export function deadLetterNotFound(receipt: string): AppError {
  return new AppError(SystemError.DEAD_LETTER_NOT_FOUND, 404, text('system.deadLetterNotFound', { receipt }));
}
