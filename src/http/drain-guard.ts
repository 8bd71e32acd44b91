import type { FastifyInstance } from 'fastify';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import type { AppState } from './app-state.js';
import { sendProblem } from './problem.js';
import { text } from '../shared/i18n/translate.js';

/** Seconds a client is told to wait when it reaches a server that is shutting down. */
export const SHUTTING_DOWN_RETRY_AFTER_SECONDS = 5;

/**
 * While an instance leaves (the `SHUTDOWN_DELAY_MS` before it stops taking connections) or a
 * worker hands over (rolling reload), requests are served and every response says
 * `Connection: close`, so clients (a load balancer's pooled connections too) reconnect elsewhere
 * without a failed request.
 * While the server drains: a new request on a kept-alive connection gets 503
 * `ERR_SHUTTING_DOWN` (problem+json, `Retry-After`), health routes keep answering in their own
 * format, and every response says `Connection: close`. NB: without that header a keep-alive
 * socket would hold the drain open until its idle timeout.
 */
export function registerDrainGuard(app: FastifyInstance, state: AppState): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (state.phase !== 'draining' || request.url.startsWith('/health')) return done();
    sendProblem(reply, new AppError(ErrorCode.SHUTTING_DOWN, 503, text('http.shuttingDown'), { retryAfterSeconds: SHUTTING_DOWN_RETRY_AFTER_SECONDS }));
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (state.phase === 'leaving' || state.phase === 'handing-over' || state.phase === 'draining') void reply.header('connection', 'close');
    done(null, payload);
  });
}
