import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';

const MAX_DEPTH = 64;

// NB: the quick test runs on every request and allocates nothing; the path (a string per
// member) is only worked out for the rare request that has a NUL.
function hasNul(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const member of value) if (hasNul(member, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes('\u0000') || hasNul((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

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
      if (!hasNul(value, 0)) continue;
      const field = nulPath(value, '', 0) ?? '/';
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
