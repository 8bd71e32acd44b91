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
  INSTALLATION_ROLE_REQUIRED: 'ERR_INSTALLATION_ROLE_REQUIRED',
  INSTALLATION_ROLE_CLI_ONLY: 'ERR_INSTALLATION_ROLE_CLI_ONLY',
  INSTALLATION_ROLE_NEEDS_ADMIN: 'ERR_INSTALLATION_ROLE_NEEDS_ADMIN',
} as const;

/** How the installation role is granted, as the messages about it say. */
export const GRANT_INSTALLATION_ROLE = 'robusto user installation-admin <email> --tenant <slug>';

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

/**
 * The 403 of a tenant admin on a route about the whole installation (backups, restarts, jobs,
 * every tenant's figures): what is refused, and who can grant the role.
 */
export function installationRoleRequired(method: string, route: string): AppError {
  return new AppError(
    AuthError.INSTALLATION_ROLE_REQUIRED,
    403,
    `${method} ${route} is about the whole installation, not your tenant: it needs the installation role. Ask the installation's administrator, who grants it with \`${GRANT_INSTALLATION_ROLE}\` on the server.`,
    { extensions: { requires: 'installation_admin' } },
  );
}

/** A user's request tried to change the installation role, which only the command line does. */
export function installationRoleCliOnly(): AppError {
  return new AppError(AuthError.INSTALLATION_ROLE_CLI_ONLY, 403, `The installation role is granted and revoked on the server only, with \`${GRANT_INSTALLATION_ROLE} [--revoke]\`.`);
}

/** The installation role goes only to a user whose role operates the system (admin or owner). */
export function installationRoleNeedsAdmin(email: string, role: string): AppError {
  return new AppError(
    AuthError.INSTALLATION_ROLE_NEEDS_ADMIN,
    409,
    `${email} has the role "${role}", which cannot operate the system; make them admin or owner of their tenant first, then grant the installation role.`,
  );
}
