import { bulkhead, BulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import { AppError } from '../../shared/app-error.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { AuthError } from './auth.errors.js';
import { text } from '../../shared/i18n/translate.js';

/** Failed sign-ins an account may have before each further try must wait. */
export const FREE_FAILURES = 5;
/** The longest an account's next try waits, however many failures it had: a slowdown, never a lockout. */
export const MAX_FAILURE_DELAY_SECONDS = 30;
/** Failures are forgotten after this long without another. */
export const FAILURE_MEMORY_MS = 15 * 60_000;
/** Accounts whose failures are remembered at most; the oldest are forgotten first. */
export const MAX_REMEMBERED_ACCOUNTS = 10_000;
/** Password hashes computed at once (each takes tens of milliseconds of a core). */
export const HASHING_CONCURRENCY = 2;
/** Password hashes waiting for their turn at most; past it a sign-in gets 503 at once. */
export const HASHING_QUEUE = 16;
/** Seconds a sign-in refused for a full hashing queue is told to wait. */
export const HASHING_RETRY_AFTER_SECONDS = 1;

interface Failures {
  count: number;
  last: number;
}

/** Options of a {@link SignInGuard}: the clock, and the hashing cap. */
export interface SignInGuardOptions {
  now?: () => number;
  hashingConcurrency?: number;
  hashingQueue?: number;
}

/**
 * What keeps sign-in from being a guessing machine or a CPU weapon, for one app:
 *
 * - an account (tenant and email, whether they exist or not, so the answer tells nothing) that
 *   failed {@link FREE_FAILURES} times must wait before each next try, 1 s, then 2, 4… up to
 *   {@link MAX_FAILURE_DELAY_SECONDS}, from its last failure, whatever address the tries come
 *   from; a success clears it. A stranger can slow a user's sign-in down, never lock it out.
 * - password hashing (scrypt) runs {@link HASHING_CONCURRENCY} at a time with a queue of
 *   {@link HASHING_QUEUE}; past it the caller gets 503 `ERR_OVERLOADED` with `Retry-After`
 *   instead of making every sign-in wait behind a flood.
 *
 * Counted in this process's memory: with several workers, each counts its own.
 */
export class SignInGuard {
  private readonly failures = new Map<string, Failures>();
  private readonly hashing: BulkheadPolicy;
  private readonly now: () => number;

  constructor(options: SignInGuardOptions = {}) {
    this.now = options.now ?? Date.now;
    this.hashing = bulkhead(options.hashingConcurrency ?? HASHING_CONCURRENCY, options.hashingQueue ?? HASHING_QUEUE);
  }

  /**
   * Throws 429 `ERR_AUTH_RATE_LIMITED` (with `Retry-After`) when the account must still wait
   * after its failures; returns otherwise.
   */
  admit(account: string): void {
    const seconds = this.waitSeconds(account);
    if (seconds > 0) {
      throw new AppError(AuthError.RATE_LIMITED, 429, text('auth.tooManyFailures', { seconds }), {
        retryAfterSeconds: seconds,
      });
    }
  }

  /** Seconds the account must still wait before its next try; 0 when it may try now. */
  waitSeconds(account: string): number {
    const failures = this.recall(account);
    if (!failures || failures.count < FREE_FAILURES) return 0;
    const delayMs = Math.min(2 ** (failures.count - FREE_FAILURES), MAX_FAILURE_DELAY_SECONDS) * 1000;
    const left = failures.last + delayMs - this.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** Records a failed sign-in of the account. */
  failed(account: string): void {
    const failures = this.recall(account) ?? { count: 0, last: 0 };
    this.failures.delete(account);
    this.failures.set(account, { count: failures.count + 1, last: this.now() });
    if (this.failures.size > MAX_REMEMBERED_ACCOUNTS) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** Forgets the account's failures after a successful sign-in. */
  succeeded(account: string): void {
    this.failures.delete(account);
  }

  /**
   * Runs one password hash or check within the cap. Throws 503 `ERR_OVERLOADED` (with
   * `Retry-After`) at once when the queue is full.
   */
  async hash<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await this.hashing.execute(work);
    } catch (error) {
      if (!(error instanceof BulkheadRejectedError)) throw error;
      throw new AppError(ErrorCode.OVERLOADED, 503, text('auth.hashingBusy', { seconds: HASHING_RETRY_AFTER_SECONDS }), {
        retryAfterSeconds: HASHING_RETRY_AFTER_SECONDS,
      });
    }
  }

  private recall(account: string): Failures | undefined {
    const failures = this.failures.get(account);
    if (failures && this.now() - failures.last > FAILURE_MEMORY_MS) {
      this.failures.delete(account);
      return undefined;
    }
    return failures;
  }
}

/** The key failures are counted under: the tenant and the email as a person would type them. */
export function accountKey(tenant: string, email: string): string {
  return `${tenant.trim().toLowerCase()}\u0000${email.trim().toLowerCase()}`;
}
