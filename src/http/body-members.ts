import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import { text } from '../shared/i18n/translate.js';

/**
 * Most members (object keys and array items, at any depth) a JSON body may hold. robusto's
 * bodies hold a few dozen; without a cap, a body of 90,000 unknown keys costs the validator
 * seconds of CPU to list them all, a weapon against everyone else's requests.
 */
export const MAX_BODY_MEMBERS = 2_000;

/** True when `value` holds more than `budget` members; stops counting there, so it costs at most that. */
function exceeds(value: unknown, budget: { left: number }): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    budget.left -= value.length;
    if (budget.left < 0) return true;
    for (const item of value) if (exceeds(item, budget)) return true;
    return false;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (--budget.left < 0) return true;
    if (exceeds((value as Record<string, unknown>)[key], budget)) return true;
  }
  return false;
}

/**
 * Refuses a JSON body of more than {@link MAX_BODY_MEMBERS} members with a 400 before it is
 * validated: the work a request can cause before anyone looks at it stays small.
 */
export function registerBodyMemberLimit(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || !exceeds(body, { left: MAX_BODY_MEMBERS })) return done();
    done(
      new AppError(ErrorCode.VALIDATION, 400, text('http.tooManyMembers', { max: MAX_BODY_MEMBERS }), {
        errors: [{ in: 'body', field: '/', message: text('field.tooManyMembers', { max: MAX_BODY_MEMBERS }) }],
      }),
    );
  });
}
