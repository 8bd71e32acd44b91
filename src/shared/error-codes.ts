import { defineErrors } from './error-registry.js';

/**
 * The kernel's stable error codes (`ErrorCode.VALIDATION` → `'ERR_VALIDATION'`). Modules define
 * their own in `<module>.errors.ts`, through the same registry.
 */
export const ErrorCode = defineErrors('kernel', {
  VALIDATION: { code: 'ERR_VALIDATION', status: 400 },
  MALFORMED_JSON: { code: 'ERR_MALFORMED_JSON', status: 400 },
  BODY_TOO_LARGE: { code: 'ERR_BODY_TOO_LARGE', status: 413 },
  UNSUPPORTED_MEDIA_TYPE: { code: 'ERR_UNSUPPORTED_MEDIA_TYPE', status: 415 },
  BAD_REQUEST: { code: 'ERR_BAD_REQUEST', status: 400 },
  ROUTE_NOT_FOUND: { code: 'ERR_ROUTE_NOT_FOUND', status: 404 },
  MODULE_UNAVAILABLE: { code: 'ERR_MODULE_UNAVAILABLE', status: 503 },
  DATABASE_UNAVAILABLE: { code: 'ERR_DATABASE_UNAVAILABLE', status: 503 },
  RATE_LIMITED: { code: 'ERR_RATE_LIMITED', status: 429 },
  OVERLOADED: { code: 'ERR_OVERLOADED', status: 503 },
  SHUTTING_DOWN: { code: 'ERR_SHUTTING_DOWN', status: 503 },
  INTERNAL: { code: 'ERR_INTERNAL', status: 500 },
  AUTH_REQUIRED: { code: 'ERR_AUTH_REQUIRED', status: 401 },
  AUTH_FORBIDDEN: { code: 'ERR_AUTH_FORBIDDEN', status: 403 },
  TIMEOUT: { code: 'ERR_TIMEOUT' },
});

/** Seconds a client is told to wait when the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
