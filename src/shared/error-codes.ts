import { defineErrors } from './error-registry.js';

/**
 * The kernel's stable error codes (`ErrorCode.VALIDATION` → `'ERR_VALIDATION'`). Modules define
 * their own in `<module>.errors.ts`, through the same registry.
 */
export const ErrorCode = defineErrors('kernel', {
  VALIDATION: {
    code: 'ERR_VALIDATION',
    status: 400,
    meaning: 'A request body, query or parameter failed its schema or a rule of its module; `errors[]` names each field and what is wrong with it.',
  },
  MALFORMED_JSON: { code: 'ERR_MALFORMED_JSON', status: 400, meaning: 'The body is not valid JSON, or is empty while `Content-Type` says JSON.' },
  BODY_TOO_LARGE: {
    code: 'ERR_BODY_TOO_LARGE',
    status: 413,
    meaning: "The body is over the route's size limit, or holds more members than robusto reads: send less per request.",
  },
  UNSUPPORTED_MEDIA_TYPE: { code: 'ERR_UNSUPPORTED_MEDIA_TYPE', status: 415, meaning: 'The body is not JSON: send `Content-Type: application/json`.' },
  BAD_REQUEST: {
    code: 'ERR_BAD_REQUEST',
    status: 400,
    meaning: 'Another client error found before the route ran (sometimes with another 4xx status); the detail says which.',
  },
  ROUTE_NOT_FOUND: { code: 'ERR_ROUTE_NOT_FOUND', status: 404, meaning: 'No route for this method and URL; the API is described at `/docs`.' },
  MODULE_UNAVAILABLE: {
    code: 'ERR_MODULE_UNAVAILABLE',
    status: 503,
    meaning: 'The module behind this URL failed to load, or waits for its migrations; the other modules keep serving.',
  },
  DATABASE_UNAVAILABLE: {
    code: 'ERR_DATABASE_UNAVAILABLE',
    status: 503,
    meaning: 'The database is not answering: reads wait for it (retry after `Retry-After`), writes are journaled instead (202).',
  },
  RATE_LIMITED: {
    code: 'ERR_RATE_LIMITED',
    status: 429,
    meaning: 'Too many requests to this route from this address within a minute; retry after `Retry-After`.',
  },
  OVERLOADED: {
    code: 'ERR_OVERLOADED',
    status: 503,
    meaning: 'The server is too busy to answer in time (its event loop lags, or password hashing is queued full); retry after `Retry-After`.',
  },
  SHUTTING_DOWN: { code: 'ERR_SHUTTING_DOWN', status: 503, meaning: 'The server is stopping; another worker or the restarted server answers a retry.' },
  INTERNAL: { code: 'ERR_INTERNAL', status: 500, meaning: 'Something unexpected: the log has the details under the request id the problem gives.' },
  AUTH_REQUIRED: {
    code: 'ERR_AUTH_REQUIRED',
    status: 401,
    meaning: 'The route needs a signed-in user: send `Authorization: Bearer <token>` from `POST /api/auth/login`.',
  },
  AUTH_FORBIDDEN: {
    code: 'ERR_AUTH_FORBIDDEN',
    status: 403,
    meaning: "The user's role lacks the permission the route or command needs (the problem's `permission` names it); an admin or owner can change the role.",
  },
  TIMEOUT: {
    code: 'ERR_TIMEOUT',
    meaning: "An operation did not finish within its time budget (a health check, a module's own check); named in the log and `/health`.",
  },
});

/** Seconds a client is told to wait when the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
