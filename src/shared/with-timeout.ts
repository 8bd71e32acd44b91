import { ErrorCode } from './error-codes.js';
/** Thrown by {@link withTimeout} when the work takes longer than allowed. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = ErrorCode.TIMEOUT;
}

/**
 * Resolves like `work`, or rejects with a {@link TimeoutError} after `ms`. The work itself is
 * not cancelled; callers use this where waiting longer is worse than not knowing (health checks).
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
