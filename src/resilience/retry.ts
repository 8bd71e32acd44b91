import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import { DatabaseStalledError } from '../db/database-stalled.js';
import { isTransientError } from '../db/transient-errors.js';

/** First wait before retrying a transient database error. */
export const RETRY_INITIAL_DELAY_MS = 50;
/** Longest single wait between two retries. */
export const RETRY_MAX_DELAY_MS = 1_000;
/**
 * Retries after the first attempt. With the delays above and jitter this spans roughly 4 to 6
 * seconds: enough to outlast another process holding the SQLite write lock for a couple of
 * seconds, or a PostgreSQL failover's brief refusal.
 */
export const RETRY_MAX_RETRIES = 8;

/** Options of {@link createRetryPolicy}; each defaults to the constant of the same name. */
export interface RetryOptions {
  maxRetries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Builds a cockatiel retry policy that retries **transient** errors only (see
 * `isTransientError`), with exponential backoff and decorrelated jitter. A permanent error
 * (a constraint violation, bad data) fails at once, and so does a stalled database
 * (`DatabaseStalledError`): each retry would wait a whole deadline again, while the circuit and
 * the journal are there to take over.
 *
 * @example
 * const policy = createRetryPolicy();
 * await policy.execute(() => db.kysely.insertInto('notes').values(row).execute());
 */
export function createRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  return retry(
    handleWhen((error) => isTransientError(error) && !(error instanceof DatabaseStalledError)),
    {
      maxAttempts: options.maxRetries ?? RETRY_MAX_RETRIES,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelayMs ?? RETRY_INITIAL_DELAY_MS,
        maxDelay: options.maxDelayMs ?? RETRY_MAX_DELAY_MS,
      }),
    },
  );
}

const defaultPolicy = createRetryPolicy();

/** Runs `work`, retrying transient errors with the default policy; rethrows the last error. */
export function withRetry<T>(work: () => Promise<T>): Promise<T> {
  return defaultPolicy.execute(work);
}
