import { AppError } from '../shared/app-error.js';
import { defineErrors } from '../shared/error-registry.js';
import { text } from '../shared/i18n/translate.js';

/**
 * Stable error codes of the write path: idempotency, the journal, and the replay of what it
 * holds. A dead letter's problem carries one of the `REPLAY_*` codes (or its command's own).
 */
export const WriteError = defineErrors('writes', {
  IDEMPOTENCY_KEY_REUSED: { code: 'ERR_IDEMPOTENCY_KEY_REUSED', status: 422 },
  WRITE_OUTCOME_UNKNOWN: { code: 'ERR_WRITE_OUTCOME_UNKNOWN', status: 503 },
  JOURNAL_UNAVAILABLE: { code: 'ERR_JOURNAL_UNAVAILABLE', status: 503 },
  JOURNAL_TENANT_FULL: { code: 'ERR_JOURNAL_TENANT_FULL', status: 503 },
  REPLAY_VERSION_UNKNOWN: { code: 'ERR_REPLAY_VERSION_UNKNOWN', status: 422 },
  REPLAY_FORBIDDEN: { code: 'ERR_REPLAY_FORBIDDEN', status: 403 },
  REPLAY_FAILED: { code: 'ERR_REPLAY_FAILED', status: 500 },
});

/** The 422 of an `Idempotency-Key` sent again with another request, whether its first write was applied or waits in the journal. */
export function reusedKey(key: string): AppError {
  return new AppError(WriteError.IDEMPOTENCY_KEY_REUSED, 422, text('writes.keyReused', { key }));
}
