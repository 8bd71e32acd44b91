import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** What is known about the request being served, wherever the code runs within it. */
export interface RequestContext {
  requestId: string;
  method: string;
  url: string;
}

const storage = new AsyncLocalStorage<RequestContext>();
const REQUEST_ID_HEADER = 'x-request-id';
// Accept a caller's id only if it is short and harmless in logs and headers.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The request id of an incoming request: the caller's `X-Request-Id` when it is acceptable
 * (so a request can be followed across services), otherwise a new UUID.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The context of the request whose code is running now, or `undefined` outside requests. Used
 * to say which request an uncaught exception came from.
 */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Returns the request id in every response (`X-Request-Id`) and makes {@link currentRequest}
 * work inside handlers, timers and promises started by the request.
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request: FastifyRequest, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    storage.run({ requestId: request.id, method: request.method, url: request.url }, done);
  });
}
