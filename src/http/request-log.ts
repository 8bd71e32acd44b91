import type { FastifyInstance } from 'fastify';

/**
 * Logs each request once, when it completes (method, URL, status, time), instead of Fastify's
 * two lines; the arrival is logged too when the level is `debug` or finer. Every line carries
 * the request id.
 */
export function registerRequestLogging(app: FastifyInstance): void {
  // NB: the level is fixed for the process's life; at `info` the arrival hook would only cost.
  if (app.log.level === 'debug' || app.log.level === 'trace') {
    app.addHook('onRequest', (request, _reply, done) => {
      request.log.debug({ method: request.method, url: request.url, remoteAddress: request.ip }, 'incoming request');
      done();
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
    done();
  });
}
