import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { GRANT_INSTALLATION_ROLE } from '../../identity/index.js';
import { text } from '../../shared/i18n/translate.js';

/** Stable error codes of the auth module (signing in, users, tenants, the installation role). */
export const AuthError = defineErrors('auth', {
  INVALID_CREDENTIALS: { code: 'ERR_AUTH_INVALID_CREDENTIALS', status: 401 },
  RATE_LIMITED: { code: 'ERR_AUTH_RATE_LIMITED', status: 429 },
  USER_NOT_FOUND: { code: 'ERR_USER_NOT_FOUND', status: 404 },
  USER_EMAIL_TAKEN: { code: 'ERR_USER_EMAIL_TAKEN', status: 409 },
  USER_SELF_LOCKOUT: { code: 'ERR_USER_SELF_LOCKOUT', status: 409 },
  USER_OWNER_ONLY: { code: 'ERR_USER_OWNER_ONLY', status: 403 },
  TENANT_LAST_OWNER: { code: 'ERR_TENANT_LAST_OWNER', status: 409 },
  TENANT_SLUG_TAKEN: { code: 'ERR_TENANT_SLUG_TAKEN', status: 409 },
  INSTALLATION_ROLE_CLI_ONLY: { code: 'ERR_INSTALLATION_ROLE_CLI_ONLY', status: 403 },
  INSTALLATION_ROLE_NEEDS_ADMIN: { code: 'ERR_INSTALLATION_ROLE_NEEDS_ADMIN', status: 409 },
});

/** The one answer to every failed login, whatever was wrong: tenant, email or password. */
export function invalidCredentials(): AppError {
  return new AppError(AuthError.INVALID_CREDENTIALS, 401, text('auth.invalidCredentials'));
}

/** No user with this id in the caller's tenant. */
export function userNotFound(id: string): AppError {
  return new AppError(AuthError.USER_NOT_FOUND, 404, text('auth.userNotFound', { id }));
}

/** A user's request tried to change the installation role, which only the command line does. */
export function installationRoleCliOnly(): AppError {
  return new AppError(AuthError.INSTALLATION_ROLE_CLI_ONLY, 403, text('auth.installationRoleCliOnly', { command: GRANT_INSTALLATION_ROLE }));
}

/** The installation role goes only to a user whose role operates the system (admin or owner). */
export function installationRoleNeedsAdmin(email: string, role: string): AppError {
  return new AppError(AuthError.INSTALLATION_ROLE_NEEDS_ADMIN, 409, text('auth.installationRoleNeedsAdmin', { email, role }));
}
