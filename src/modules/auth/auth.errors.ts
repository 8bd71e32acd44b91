import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { GRANT_INSTALLATION_ROLE } from '../../identity/index.js';

/** Stable error codes of the auth module (signing in, users, tenants, the installation role). */
export const AuthError = defineErrors('auth', {
  INVALID_CREDENTIALS: { code: 'ERR_AUTH_INVALID_CREDENTIALS', status: 401, meaning: 'Tenant, email or password is wrong; the answer never says which.' },
  RATE_LIMITED: {
    code: 'ERR_AUTH_RATE_LIMITED',
    status: 429,
    meaning: 'Too many sign-ins from this address, or too many failures for this account: wait `Retry-After` seconds.',
  },
  USER_NOT_FOUND: { code: 'ERR_USER_NOT_FOUND', status: 404, meaning: "No user with this id in the caller's tenant." },
  USER_EMAIL_TAKEN: { code: 'ERR_USER_EMAIL_TAKEN', status: 409, meaning: 'Another user of the tenant already has this email.' },
  USER_SELF_LOCKOUT: {
    code: 'ERR_USER_SELF_LOCKOUT',
    status: 409,
    meaning: 'Nobody can disable themselves or change their own role; another admin or owner can.',
  },
  USER_OWNER_ONLY: { code: 'ERR_USER_OWNER_ONLY', status: 403, meaning: 'Only an owner can make, change or disable an owner.' },
  TENANT_LAST_OWNER: {
    code: 'ERR_TENANT_LAST_OWNER',
    status: 409,
    meaning: 'The change would leave the tenant without an active owner: make another user owner first.',
  },
  TENANT_SLUG_TAKEN: { code: 'ERR_TENANT_SLUG_TAKEN', status: 409, meaning: 'Another tenant already has this slug.' },
  INSTALLATION_ROLE_CLI_ONLY: {
    code: 'ERR_INSTALLATION_ROLE_CLI_ONLY',
    status: 403,
    meaning: 'The installation role is granted and revoked on the server only, with `robusto user installation-admin`.',
  },
  INSTALLATION_ROLE_NEEDS_ADMIN: {
    code: 'ERR_INSTALLATION_ROLE_NEEDS_ADMIN',
    status: 409,
    meaning: 'Only an active admin or owner can hold the installation role.',
  },
});

/** The one answer to every failed login, whatever was wrong: tenant, email or password. */
export function invalidCredentials(): AppError {
  return new AppError(AuthError.INVALID_CREDENTIALS, 401, 'Tenant, email or password is wrong. Check all three and try again.');
}

/** No user with this id in the caller's tenant. */
export function userNotFound(id: string): AppError {
  return new AppError(AuthError.USER_NOT_FOUND, 404, `No user with id ${id}.`);
}

/** A user's request tried to change the installation role, which only the command line does. */
export function installationRoleCliOnly(): AppError {
  return new AppError(
    AuthError.INSTALLATION_ROLE_CLI_ONLY,
    403,
    `The installation role is granted and revoked on the server only, with \`${GRANT_INSTALLATION_ROLE} [--revoke]\`.`,
  );
}

/** The installation role goes only to a user whose role operates the system (admin or owner). */
export function installationRoleNeedsAdmin(email: string, role: string): AppError {
  return new AppError(
    AuthError.INSTALLATION_ROLE_NEEDS_ADMIN,
    409,
    `${email} has the role "${role}", which cannot operate the system; make them admin or owner of their tenant first, then grant the installation role.`,
  );
}
