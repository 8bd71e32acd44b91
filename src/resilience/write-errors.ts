import { AppError } from '../shared/app-error.js';
import { defineErrors } from '../shared/error-registry.js';

/**
 * Stable error codes of the write path: idempotency, the journal, and the replay of what it
 * holds. A dead letter's problem carries one of the `REPLAY_*` codes (or its command's own).
 */
export const WriteError = defineErrors('writes', {
  IDEMPOTENCY_KEY_REUSED: {
    code: 'ERR_IDEMPOTENCY_KEY_REUSED',
    status: 422,
    meaning: 'The `Idempotency-Key` was already used for a different request: use a new key for a new request.',
  },
  WRITE_OUTCOME_UNKNOWN: {
    code: 'ERR_WRITE_OUTCOME_UNKNOWN',
    status: 503,
    meaning:
      'The connection was lost during the COMMIT and the write may or may not be saved; robusto journals it and applies it at most once (202), so this reaches a client only when the journal cannot take it either.',
  },
  JOURNAL_UNAVAILABLE: {
    code: 'ERR_JOURNAL_UNAVAILABLE',
    status: 503,
    meaning:
      'The write had to go to the journal (the database is down, or earlier writes wait there) and the journal cannot take it; `reason` says why (`disk-full`, `write-failed`, `cannot-open`, `limit`). Nothing was saved: retry later.',
  },
  JOURNAL_TENANT_FULL: {
    code: 'ERR_JOURNAL_TENANT_FULL',
    status: 503,
    meaning: "The tenant's writes waiting in the journal hold its whole share (`JOURNAL_TENANT_MAX_MB`); other tenants still write. Retry after `Retry-After`.",
  },
  REPLAY_VERSION_UNKNOWN: {
    code: 'ERR_REPLAY_VERSION_UNKNOWN',
    status: 422,
    meaning:
      'A journaled write was accepted by a version of its command this robusto cannot apply (newer, or one without an upcast): a dead letter until a robusto that knows it runs.',
  },
  REPLAY_FORBIDDEN: {
    code: 'ERR_REPLAY_FORBIDDEN',
    status: 403,
    meaning:
      'The user who sent a journaled write lost the right to it (disabled, role lowered, signed out) before it was applied: a dead letter, never applied (409 when its retry is refused for the same reason).',
  },
  REPLAY_FAILED: {
    code: 'ERR_REPLAY_FAILED',
    status: 500,
    meaning: 'A journaled write failed when applied for a reason with no code of its own; the dead letter keeps the message.',
  },
});

/** The 422 of an `Idempotency-Key` sent again with another request, whether its first write was applied or waits in the journal. */
export function reusedKey(key: string): AppError {
  return new AppError(
    WriteError.IDEMPOTENCY_KEY_REUSED,
    422,
    `Idempotency-Key "${key}" was already used for a different request. Use a new key for a new request; resend the same body to get the first outcome.`,
  );
}
