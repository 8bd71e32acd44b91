import type { FastifyInstance } from 'fastify';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import { AppError } from '../shared/app-error.js';
import { DATABASE_RETRY_AFTER_SECONDS, ErrorCode } from '../shared/error-codes.js';
import { text } from '../shared/i18n/translate.js';

/**
 * Ties HTTP to the database circuit: a transient database error in any request counts toward
 * opening it, and while it is open an API read answers 503 `ERR_DATABASE_UNAVAILABLE` at once
 * (with `Retry-After`) instead of waiting for a connection that will not come. Writes are not
 * stopped here: the write path sends them to the journal. Routes that answer from the journal
 * alone (`config.withoutDatabase`: receipts, the journal's admin) keep answering.
 */
export function registerCircuitGuard(app: FastifyInstance, circuit: DatabaseCircuit): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (circuit.closed || (request.method !== 'GET' && request.method !== 'HEAD')) return done();
    const { url, config } = request.routeOptions;
    if (!(url ?? '').startsWith('/api/') || config?.withoutDatabase) return done();
    done(
      new AppError(ErrorCode.DATABASE_UNAVAILABLE, 503, text('http.readsWaitForDatabase'), {
        retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      }),
    );
  });
  app.addHook('onError', (_request, _reply, error, done) => {
    circuit.recordFailure(error);
    done();
  });
}
