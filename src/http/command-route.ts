import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Command } from '../resilience/command.js';
import type { SubmitOptions, WritePath } from '../resilience/write-path.js';
import { AppError } from '../shared/app-error.js';
import { fingerprintOf } from '../shared/canonical-json.js';
import { ErrorCode } from '../shared/error-codes.js';
import { can, principalOf } from '../shared/principal.js';
import { text } from '../shared/i18n/translate.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` header, validated; `undefined` when absent. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw new AppError(ErrorCode.VALIDATION, 400, text('http.idempotencyKeyInvalid'), {
      errors: [{ in: 'headers', field: '/idempotency-key', message: text('field.idempotencyKey') }],
    });
  }
  return raw;
}

/**
 * Builds `ModuleContext.execute`: runs a command for an HTTP request through the write path and
 * sends its outcome: 201/200 when applied, 202 with a receipt (and `Location`) when journaled. The fingerprint covers method, route, principal and the canonical request,
 * so the same key with another body (or from another user) is recognised as a different request.
 */
export function createExecute(writes: WritePath) {
  return async function execute<P, R>(
    request: FastifyRequest,
    reply: FastifyReply,
    command: Command<P, R>,
    payload: P,
    options: SubmitOptions = {},
  ): Promise<FastifyReply> {
    const principal = principalOf(request);
    const permission = command.permission ?? 'write';
    if (!can(principal.role, permission)) {
      throw new AppError(ErrorCode.AUTH_FORBIDDEN, 403, text('http.commandForbidden', { role: principal.role, permission, command: command.name }), {
        extensions: { permission },
      });
    }
    const idempotencyKey = idempotencyKeyOf(request);
    const submitted = await writes.submit(
      command,
      payload,
      {
        tenantId: principal.tenantId,
        userId: principal.userId,
        requestId: request.id,
        idempotencyKey,
        tokenEpoch: principal.tokenEpoch,
        // The request as sent (params and body), not the payload: a payload may hold derived values
        // such as a salted password hash that differ on every retry. Only needed with a key.
        fingerprint: idempotencyKey
          ? fingerprintOf(request.method, request.routeOptions.url, principal.tenantId, principal.userId, request.params, request.body)
          : '',
      },
      options,
    );
    if (submitted.kind === 'queued') {
      // Accepted into the journal (on disk): it will be applied exactly once, in order.
      if (submitted.replayed) void reply.header('idempotent-replayed', 'true');
      void reply.header('location', `/api/receipts/${submitted.receipt}`);
      return reply.code(202).send({ receipt: submitted.receipt, status: 'queued' });
    }
    if (submitted.result.replayed) void reply.header('idempotent-replayed', 'true');
    return reply.code(submitted.result.status).send(submitted.result.body);
  };
}
