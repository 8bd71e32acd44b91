import { DEFAULT_LOCALE } from './i18n/locale.js';
import { isLocalText, render, type LocalText } from './i18n/translate.js';

/**
 * One field-level problem inside a 400 response: which field, and what is wrong with it.
 */
export interface FieldError {
  /** JSON pointer-like path of the field, e.g. `/email` or `/items/0/quantity`. */
  field: string;
  /**
   * What is wrong, phrased so the caller can fix it: a text of the catalogues, written in the
   * reader's language when the problem is sent, or a string shown as it is.
   */
  message: string | LocalText;
  /** Which part of the request holds the field. */
  in?: 'body' | 'querystring' | 'params' | 'headers';
}

/** Options of an {@link AppError} beyond its code, status and detail. */
export interface AppErrorOptions {
  /** Field-level problems, listed in the problem document's `errors[]`. */
  errors?: FieldError[];
  /** Seconds the client should wait before retrying; sent as `Retry-After`. */
  retryAfterSeconds?: number;
  /** Extra members copied into the problem document (e.g. `available` for stock). */
  extensions?: Record<string, unknown>;
  /** The underlying error, kept for the log only: it never reaches the client. */
  cause?: unknown;
}

/**
 * The one error type of robusto: a stable `code` (`ERR_<AREA>_<WHAT>`), an HTTP status and a
 * human `detail` saying what failed and how to fix it. A detail given as a text of the
 * catalogues (`text()` of `src/shared/i18n/translate.ts`) is written in the reader's language when the problem is sent;
 * `detail` and `message` hold it in English, for the log.
 *
 * The HTTP error handler turns it into `application/problem+json`. For 5xx statuses the detail
 * is still sent (it is written for users, e.g. "the database is unreachable"), but the `cause`
 * is only logged.
 *
 * @example
 * throw new AppError(CustomerError.NOT_FOUND, 404, text('customers.notFound', { id }));
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: string;
  readonly status: number;
  readonly detail: string;
  /** The detail as a text of the catalogues, when it was given as one. */
  readonly detailText: LocalText | undefined;
  readonly errors: FieldError[] | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly extensions: Record<string, unknown> | undefined;

  constructor(code: string, status: number, detail: string | LocalText, options: AppErrorOptions = {}) {
    const english = isLocalText(detail) ? render(DEFAULT_LOCALE, detail) : detail;
    super(english, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = status;
    this.detail = english;
    this.detailText = isLocalText(detail) ? detail : undefined;
    this.errors = options.errors;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions;
  }
}

/** Tells whether a value is an {@link AppError}, also across module copies. */
export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError || (value instanceof Error && value.name === 'AppError' && 'code' in value && 'status' in value);
}

/**
 * Turns a code into the short human title of its problem type: `ERR_MODULE_UNAVAILABLE` →
 * `Module unavailable`.
 */
export function titleOfCode(code: string): string {
  const words = code.replace(/^ERR_/, '').toLowerCase().split('_');
  const sentence = words.join(' ');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/**
 * Turns a code into the problem `type` URI: `ERR_MODULE_UNAVAILABLE` →
 * `urn:robusto:problem:module-unavailable`. A URN, because it names the problem without
 * promising a page to fetch.
 */
export function typeOfCode(code: string): string {
  return `urn:robusto:problem:${code.replace(/^ERR_/, '').toLowerCase().replace(/_/g, '-')}`;
}
