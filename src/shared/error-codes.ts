/**
 * The kernel's stable error codes. Modules keep their own in `<module>.errors.ts`.
 * Clients and tests rely on these strings: never rename one.
 */
export const ErrorCode = {
  /** A request body, query or parameter failed its schema (400). */
  VALIDATION: 'ERR_VALIDATION',
  /** The body is not valid JSON (400). */
  MALFORMED_JSON: 'ERR_MALFORMED_JSON',
  /** The body is over the size limit (413). */
  BODY_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
  /** The body's content type is not accepted (415). */
  UNSUPPORTED_MEDIA_TYPE: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  /** Some other client error Fastify detected (4xx). */
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  /** No route for this method and URL (404). */
  ROUTE_NOT_FOUND: 'ERR_ROUTE_NOT_FOUND',
  /** The module behind this URL failed to load, or is waiting for its migrations (503). */
  MODULE_UNAVAILABLE: 'ERR_MODULE_UNAVAILABLE',
  /** The database did not answer; the request can be retried (503). */
  DATABASE_UNAVAILABLE: 'ERR_DATABASE_UNAVAILABLE',
  /** Too many requests to a route within a minute (429, with `Retry-After`). */
  RATE_LIMITED: 'ERR_RATE_LIMITED',
  /** The server is too busy to answer in time: its event loop lags (503, with `Retry-After`). */
  OVERLOADED: 'ERR_OVERLOADED',
  /** The server is shutting down (503). */
  SHUTTING_DOWN: 'ERR_SHUTTING_DOWN',
  /** Anything unexpected: the log has the details under the request id (500). */
  INTERNAL: 'ERR_INTERNAL',
} as const;

/** Seconds a client is told to wait when the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** One of the kernel's {@link ErrorCode} strings. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];
