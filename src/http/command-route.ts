import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Command } from '../resilience/command.js';
import type { Dispatcher } from '../resilience/dispatcher.js';
import { AppError } from '../shared/app-error.js';
import { fingerprintOf } from '../shared/canonical-json.js';
import { ErrorCode } from '../shared/error-codes.js';
import { principalOf } from '../shared/principal.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, validated; `undefined` when absent. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw new AppError(ErrorCode.VALIDATION, 400, 'Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID.', {
      errors: [{ in: 'headers', field: '/idempotency-key', message: 'must be 1 to 255 visible ASCII characters' }],
    });
  }
  return raw;
}

/**
 * Builds `ModuleContext.execute`: runs a command for an HTTP request through the dispatcher and
 * sends its outcome. The fingerprint covers method, route, principal and the canonical request,
 * so the same key with another body (or from another user) is recognised as a different request.
 */
export function createExecute(dispatcher: Dispatcher) {
  return async function execute<P, R>(request: FastifyRequest, reply: FastifyReply, command: Command<P, R>, payload: P): Promise<FastifyReply> {
    const principal = principalOf(request);
    const idempotencyKey = idempotencyKeyOf(request);
    const result = await dispatcher.dispatch(command, payload, {
      tenantId: principal.tenantId,
      userId: principal.userId,
      requestId: request.id,
      idempotencyKey,
      // The request as sent (params and body), not the payload: a payload may hold derived values
      // such as a salted password hash that differ on every retry. Only needed with a key.
      fingerprint: idempotencyKey ? fingerprintOf(request.method, request.routeOptions.url, principal.tenantId, principal.userId, request.params, request.body) : '',
    });
    if (result.replayed) void reply.header('idempotent-replayed', 'true');
    return reply.code(result.status).send(result.body);
  };
}
