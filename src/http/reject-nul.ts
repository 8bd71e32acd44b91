import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import { text } from '../shared/i18n/translate.js';

const MAX_DEPTH = 64;

/**
 * Where the first NUL in `value` is, as a JSON pointer relative to it (`''`: `value` itself), or
 * `undefined` when it has none. NB: it runs on every request and allocates nothing while it
 * finds nothing; the pointer is built on the way back up, only for the rare request with a NUL.
 */
function nulPath(value: unknown, depth: number): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? '' : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulPath(value[i], depth + 1);
      if (found !== undefined) return `/${i}${found}`;
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes('\u0000')) return `/${key.replace('\u0000', '\\u0000')}`;
    const found = nulPath((value as Record<string, unknown>)[key], depth + 1);
    if (found !== undefined) return `/${key}${found}`;
  }
  return undefined;
}

/**
 * Rejects any request carrying a NUL character (`\u0000`) in its query, path or JSON body with a 400
 * naming the field. No field accepts one, and PostgreSQL cannot store one: without this check it
 * would surface as a database error (a 500) instead of the client's mistake.
 */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const parts = [
      ['querystring', request.query],
      ['params', request.params],
      ['body', request.body],
    ] as const;
    for (const [where, value] of parts) {
      const found = nulPath(value, 0);
      if (found === undefined) continue;
      const field = found || '/';
      done(
        new AppError(ErrorCode.VALIDATION, 400, text('http.nul'), {
          errors: [{ in: where, field, message: text('field.nul') }],
        }),
      );
      return;
    }
    done();
  });
}
