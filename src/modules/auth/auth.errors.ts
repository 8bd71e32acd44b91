import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';

/** Stable error codes of the auth module (signing in, users, tenants, the installation role). */
export const AuthError = defineErrors('auth', {
  INVALID_CREDENTIALS: { code: 'ERR_AUTH_INVALID_CREDENTIALS', status: 401, meaning: 'Tenant, email or password is wrong; the answer never says which.' },
  TOKEN_INVALID: { code: 'ERR_AUTH_TOKEN_INVALID', status: 401, meaning: 'The token does not verify, was signed out, or its user was disabled: sign in again.' },
  TOKEN_EXPIRED: { code: 'ERR_AUTH_TOKEN_EXPIRED', status: 401, meaning: 'The token expired (after 12 hours): sign in again.' },
  RATE_LIMITED: { code: 'ERR_AUTH_RATE_LIMITED', status: 429, meaning: 'Too many sign-ins from this address, or too many failures for this account: wait `Retry-After` seconds.' },
  USER_NOT_FOUND: { code: 'ERR_USER_NOT_FOUND', status: 404, meaning: "No user with this id in the caller's tenant." },
  USER_EMAIL_TAKEN: { code: 'ERR_USER_EMAIL_TAKEN', status: 409, meaning: 'Another user of the tenant already has this email.' },
  USER_SELF_LOCKOUT: { code: 'ERR_USER_SELF_LOCKOUT', status: 409, meaning: 'Nobody can disable themselves or change their own role; another admin or owner can.' },
  USER_OWNER_ONLY: { code: 'ERR_USER_OWNER_ONLY', status: 403, meaning: 'Only an owner can make, change or disable an owner.' },
  TENANT_LAST_OWNER: { code: 'ERR_TENANT_LAST_OWNER', status: 409, meaning: "The change would leave the tenant without an active owner: make another user owner first." },
  TENANT_SLUG_TAKEN: { code: 'ERR_TENANT_SLUG_TAKEN', status: 409, meaning: 'Another tenant already has this slug.' },
  INSTALLATION_ROLE_REQUIRED: { code: 'ERR_INSTALLATION_ROLE_REQUIRED', status: 403, meaning: 'The route shows or changes the whole installation: it needs the installation role, granted on the server with `robusto user installation-admin`.' },
  INSTALLATION_ROLE_CLI_ONLY: { code: 'ERR_INSTALLATION_ROLE_CLI_ONLY', status: 403, meaning: 'The installation role is granted and revoked on the server only, with `robusto user installation-admin`.' },
  INSTALLATION_ROLE_NEEDS_ADMIN: { code: 'ERR_INSTALLATION_ROLE_NEEDS_ADMIN', status: 409, meaning: 'Only an active admin or owner can hold the installation role.' },
});

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
