import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';

/** Stable error codes of the system module (the operations API behind `/admin`). */
export const SystemError = defineErrors('system', {
  DEAD_LETTER_NOT_FOUND: {
    code: 'ERR_DEAD_LETTER_NOT_FOUND',
    status: 404,
    meaning: "No dead letter with this receipt in the caller's tenant: it may be queued, applied or discarded already.",
  },
  REPLAY_NOW_FAILED: {
    code: 'ERR_REPLAY_NOW_FAILED',
    status: 500,
    meaning:
      'The replay round asked for now (`POST /api/system/journal/replay`) stopped on an unexpected error: the writes stay in the journal, and the server keeps replaying by itself. The log, under the request id, says why.',
  },
  BACKUP_RUNNING: {
    code: 'ERR_BACKUP_RUNNING',
    status: 409,
    meaning: 'A backup asked for now is being made already (`startedAt` says since when): one at a time. Wait for it, then look at the backups list.',
  },
  BACKUP_NOW_FAILED: {
    code: 'ERR_BACKUP_NOW_FAILED',
    status: 500,
    meaning:
      'The backup asked for now (`POST /api/system/backups`) could not be made or did not read back (then it was removed); `backupCode` holds the backup error code when there is one, the detail what to check.',
  },
});

/** No dead letter with this receipt in the caller's tenant. */
export function deadLetterNotFound(receipt: string): AppError {
  return new AppError(SystemError.DEAD_LETTER_NOT_FOUND, 404, `No dead letter ${receipt} in your tenant (it may be queued, applied or discarded already).`);
}
