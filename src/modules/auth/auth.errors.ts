import { AppError } from '../../shared/app-error.js';

/** Stable error codes of the auth module. */
export const AuthError = {
  REQUIRED: 'ERR_AUTH_REQUIRED',
  INVALID_CREDENTIALS: 'ERR_AUTH_INVALID_CREDENTIALS',
  TOKEN_INVALID: 'ERR_AUTH_TOKEN_INVALID',
  TOKEN_EXPIRED: 'ERR_AUTH_TOKEN_EXPIRED',
  FORBIDDEN: 'ERR_AUTH_FORBIDDEN',
  RATE_LIMITED: 'ERR_AUTH_RATE_LIMITED',
  USER_NOT_FOUND: 'ERR_USER_NOT_FOUND',
  USER_EMAIL_TAKEN: 'ERR_USER_EMAIL_TAKEN',
  USER_SELF_LOCKOUT: 'ERR_USER_SELF_LOCKOUT',
  USER_OWNER_ONLY: 'ERR_USER_OWNER_ONLY',
  TENANT_LAST_OWNER: 'ERR_TENANT_LAST_OWNER',
  TENANT_SLUG_TAKEN: 'ERR_TENANT_SLUG_TAKEN',
  TENANT_NOT_FOUND: 'ERR_TENANT_NOT_FOUND',
} as const;

/** The one answer to every failed login, whatever was wrong: tenant, email or password. */
export function invalidCredentials(): AppError {
  return new AppError(AuthError.INVALID_CREDENTIALS, 401, 'Tenant, email or password is wrong. Check all three and try again.');
}

/** A token that does not verify (or whose user is gone or disabled). */
export function tokenInvalid(): AppError {
  return new AppError(AuthError.TOKEN_INVALID, 401, 'The token is not valid (or its user was disabled); sign in again with POST /api/auth/login.');
}

/** An expired token. */
export function tokenExpired(): AppError {
  return new AppError(AuthError.TOKEN_EXPIRED, 401, 'The token expired; sign in again with POST /api/auth/login.');
}

/** No user with this id in the caller's tenant. */
export function userNotFound(id: string): AppError {
  return new AppError(AuthError.USER_NOT_FOUND, 404, `No user with id ${id}.`);
}
