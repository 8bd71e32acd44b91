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
// Accept a caller's id only if it is short and harmless in logs, headers and audit rows.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
// The prefixes of the ids robusto gives its own writes (first start, the CLI, jobs): an audit
// row must never seem to come from one of them.
const ROBUSTO_REQUEST_ID_PREFIX = /^(bootstrap|cli|job|robusto|system)[-_.]/i;

/**
 * The request id of an incoming request: the caller's `X-Request-Id` when it is acceptable
 * (at most 64 letters, digits, `.`, `_` or `-`, and not one of robusto's own prefixes), so a
 * request can be followed across services; otherwise a new UUID.
 */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) && !ROBUSTO_REQUEST_ID_PREFIX.test(given) ? given : randomUUID();
}

/**
 * The context of the request whose code is running now, or `undefined` outside requests (and,
 * on Node.js before 24, in requests served by robusto's built-in modules: see
 * {@link enterRequestContext}). Used to say
 * which request an uncaught exception came from.
 */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

// The requests this process is serving now, in arrival order (a Set keeps insertion order).
const inFlight = new Set<RequestContext>();

function contextOf(request: FastifyRequest): RequestContext {
  return { requestId: request.id, method: request.method, url: request.url };
}

/** The most requests {@link requestsInFlight} lists. */
export const MAX_LISTED_REQUESTS = 20;

/**
 * The requests this process is serving now (the oldest first, at most
 * {@link MAX_LISTED_REQUESTS}): those an uncaught exception puts at risk, whichever code threw.
 */
export function requestsInFlight(): RequestContext[] {
  const listed: RequestContext[] = [];
  for (const context of inFlight) {
    if (listed.length === MAX_LISTED_REQUESTS) break;
    listed.push(context);
  }
  return listed;
}

/**
 * Whether a request context is cheap here: from Node.js 24 on, AsyncLocalStorage keeps its store
 * in the async context frame V8 carries anyway, about 1 µs per request of 30 awaits, where
 * Node.js 20 hooks every promise of the process once it is entered, about 7 µs on the same
 * requests (`npm run bench:context`) and 30 to 50 µs per write of the API under load.
 */
export const CHEAP_REQUEST_CONTEXT = Number(process.versions.node.split('.')[0]) >= 24 && !process.execArgv.includes('--no-async-context-frame');

/**
 * Makes {@link currentRequest} answer with this request inside its handlers, timers, event
 * callbacks and promises, even after the response (a callback a handler left behind). Call it
 * from an `onRequest` hook, with that hook's `done`.
 *
 * NB: every request enters it where it is cheap ({@link CHEAP_REQUEST_CONTEXT}); elsewhere only
 * requests to modules loaded from ROBUSTO_MODULES do, code robusto does not ship and test, where
 * a callback throwing outside any promise would otherwise crash the whole process unexplained.
 * An uncaught exception always comes with the requests in flight ({@link requestsInFlight}).
 */
export function enterRequestContext(request: FastifyRequest, done: () => void): void {
  storage.run(contextOf(request), done);
}

/**
 * Returns the request id in every response (`X-Request-Id`) and keeps the list of requests in
 * flight ({@link requestsInFlight}).
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request: FastifyRequest, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    const context = contextOf(request);
    inFlight.add(context);
    // NB: the response's 'close', not onResponse: it also comes when the client goes away before
    // the answer (onResponse then never runs, nor onRequestAbort once the body was read).
    reply.raw.once('close', () => inFlight.delete(context));
    done();
  });
}
