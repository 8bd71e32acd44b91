import { AppError } from './app-error.js';
import { ErrorCode } from './error-codes.js';
import { isUuid } from './ids.js';
import { isRealDate } from './schemas.js';
import { text } from './i18n/translate.js';

/** The position after the last row of a page: its sort value and id (the tie-breaker). */
export interface Cursor {
  value: string | number;
  id: string;
}

/** What the sort value of a cursor must be: free text, an ISO 8601 instant, a `YYYY-MM-DD` date, or a number. */
export type CursorValueKind = 'text' | 'timestamp' | 'date' | 'number';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function fitsKind(value: string | number, kind: CursorValueKind): boolean {
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value);
  if (typeof value !== 'string' || value.includes('\u0000')) return false;
  // NB: a month 13 or a day 45 fits the pattern; toISOString would throw on it, so it is parsed first.
  if (kind === 'timestamp') return ISO_INSTANT.test(value) && Number.isFinite(Date.parse(value)) && new Date(value).toISOString() === value;
  if (kind === 'date') return isRealDate(value);
  return true;
}

/** Encodes a keyset position as an opaque URL-safe string. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.value, cursor.id])).toString('base64url');
}

function invalidCursor(): AppError {
  return new AppError(ErrorCode.VALIDATION, 400, text('http.badCursor'), {
    errors: [{ in: 'querystring', field: '/cursor', message: text('field.badCursor') }],
  });
}

/**
 * Decodes a list's `cursor` and checks what it holds: the id a UUID, the value of `kind`. A
 * cursor that decodes but was forged or belongs to another sort order would otherwise reach
 * PostgreSQL as an invalid uuid or timestamp and fail there with a 500.
 *
 * @throws {AppError} 400 `ERR_VALIDATION` naming the `cursor` field.
 */
export function decodeCursor(raw: string, kind: CursorValueKind): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalidCursor();
  const [value, id] = parsed as [unknown, unknown];
  if ((typeof value !== 'string' && typeof value !== 'number') || typeof id !== 'string' || !isUuid(id) || !fitsKind(value, kind)) throw invalidCursor();
  return { value, id };
}
