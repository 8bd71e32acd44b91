import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';

const MAX_DEPTH = 64;

function nulPath(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  for (const [key, member] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}/${key.replace('\u0000', '\\u0000')}`;
    const found = nulPath(member, `${path}/${key}`, depth + 1);
    if (found) return found;
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
      const field = nulPath(value, '', 0);
      if (field === undefined) continue;
      done(
        new AppError(ErrorCode.VALIDATION, 400, 'The request contains a NUL character (\\u0000), which no field accepts; remove it.', {
          errors: [{ in: where, field, message: 'contains a NUL character' }],
        }),
      );
      return;
    }
    done();
  });
}
