import { AppError } from './app-error.js';
import { ErrorCode } from './error-codes.js';

/** The position after the last row of a page: its sort value and id (the tie-breaker). */
export interface Cursor {
  value: string | number;
  id: string;
}

/** Encodes a keyset position as an opaque URL-safe string. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.value, cursor.id])).toString('base64url');
}

/**
 * Decodes a cursor from a list's `nextCursor`.
 *
 * @throws {AppError} 400 `ERR_VALIDATION` naming the `cursor` field when it is not one.
 */
export function decodeCursor(raw: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && (typeof parsed[0] === 'string' || typeof parsed[0] === 'number') && typeof parsed[1] === 'string') {
      return { value: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new AppError(ErrorCode.VALIDATION, 400, 'The cursor is not one this server gave out; use the nextCursor of the previous page, or omit it to start over.', {
    errors: [{ in: 'querystring', field: '/cursor', message: 'is not a valid cursor' }],
  });
}
