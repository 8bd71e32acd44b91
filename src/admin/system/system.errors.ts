import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { text, type LocalText } from '../../shared/i18n/translate.js';

/** Stable error codes of the system module (the operations API behind `/admin`). */
export const SystemError = defineErrors('system', {
  DEAD_LETTER_NOT_FOUND: { code: 'ERR_DEAD_LETTER_NOT_FOUND', status: 404 },
  DEAD_LETTER_AUTHOR_LACKS_RIGHT: { code: 'ERR_DEAD_LETTER_AUTHOR_LACKS_RIGHT', status: 409 },
  REPLAY_NOW_FAILED: { code: 'ERR_REPLAY_NOW_FAILED', status: 500 },
  BACKUP_RUNNING: { code: 'ERR_BACKUP_RUNNING', status: 409 },
  BACKUP_NOW_FAILED: { code: 'ERR_BACKUP_NOW_FAILED', status: 500 },
});

/** No dead letter with this receipt in the caller's tenant. */
export function deadLetterNotFound(receipt: string): AppError {
  return new AppError(SystemError.DEAD_LETTER_NOT_FOUND, 404, text('system.deadLetterNotFound', { receipt }));
}

/**
 * The 409 of a dead letter's retry while its author still lacks the right to run its command
 * today (disabled, role lowered, signed out): queued again it would only be parked again.
 * `reason` is the author check's own sentence, `extensions` its details (who, which permission, why).
 */
export function deadLetterAuthorLacksRight(reason: string | LocalText, extensions: Readonly<Record<string, unknown>>): AppError {
  return new AppError(SystemError.DEAD_LETTER_AUTHOR_LACKS_RIGHT, 409, text('system.deadLetterAuthorLacksRight', { reason }), { extensions });
}
