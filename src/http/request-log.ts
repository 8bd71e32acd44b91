import type { FastifyInstance } from 'fastify';
import { maskDocumentsLoosely } from '../shared/documents.js';

/**
 * The URL as a log line shows it: the path, and the query decoded (`%2E`, `+`) and then masked,
 * so a CPF or CNPJ typed into a search never reaches the log, however it was written or encoded.
 */
export function loggedUrl(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return maskDocumentsLoosely(url);
  const query = [...new URLSearchParams(url.slice(at + 1))].map(([name, value]) => `${maskDocumentsLoosely(name)}=${maskDocumentsLoosely(value)}`).join('&');
  return `${maskDocumentsLoosely(url.slice(0, at))}?${query}`;
}

/**
 * Logs each request once, when it completes (method, route, masked URL, client address, status,
 * time), instead of Fastify's
 * two lines; the arrival is logged too when the level is `debug` or finer. Every line carries
 * the request id.
 */
export function registerRequestLogging(app: FastifyInstance): void {
  // NB: the level is fixed for the process's life; at `info` the arrival hook would only cost.
  if (app.log.level === 'debug' || app.log.level === 'trace') {
    app.addHook('onRequest', (request, _reply, done) => {
      request.log.debug(
        { method: request.method, route: request.routeOptions.url, url: loggedUrl(request.url), remoteAddress: request.ip },
        'incoming request',
      );
      done();
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    // NB: a literal, not a spread of a helper's object: this runs for every request.
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url,
        url: loggedUrl(request.url),
        remoteAddress: request.ip,
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request completed',
    );
    done();
  });
}
