import { AppError } from '../shared/app-error.js';
import { defineErrors } from '../shared/error-registry.js';

/** Stable error codes of identity: the tokens every request carries, and the installation role. */
export const IdentityError = defineErrors('identity', {
  TOKEN_INVALID: {
    code: 'ERR_AUTH_TOKEN_INVALID',
    status: 401,
    meaning: 'The token does not verify, was signed out, or its user was disabled: sign in again.',
  },
  TOKEN_EXPIRED: { code: 'ERR_AUTH_TOKEN_EXPIRED', status: 401, meaning: 'The token expired (after 12 hours): sign in again.' },
  INSTALLATION_ROLE_REQUIRED: {
    code: 'ERR_INSTALLATION_ROLE_REQUIRED',
    status: 403,
    meaning: 'The route shows or changes the whole installation: it needs the installation role, granted on the server with `robusto user installation-admin`.',
  },
});

/** How the installation role is granted, as the messages about it say. */
export const GRANT_INSTALLATION_ROLE = 'robusto user installation-admin <email> --tenant <slug>';

/** A token that does not verify (or whose user is gone or disabled). */
export function tokenInvalid(): AppError {
  return new AppError(IdentityError.TOKEN_INVALID, 401, 'The token is not valid (or its user was disabled); sign in again with POST /api/auth/login.');
}

/** An expired token. */
export function tokenExpired(): AppError {
  return new AppError(IdentityError.TOKEN_EXPIRED, 401, 'The token expired; sign in again with POST /api/auth/login.');
}

/**
 * The 403 of a tenant admin on a route about the whole installation (backups, restarts, jobs,
 * every tenant's figures): what is refused, and who can grant the role.
 */
export function installationRoleRequired(method: string, route: string): AppError {
  return new AppError(
    IdentityError.INSTALLATION_ROLE_REQUIRED,
    403,
    `${method} ${route} is about the whole installation, not your tenant: it needs the installation role. Ask the installation's administrator, who grants it with \`${GRANT_INSTALLATION_ROLE}\` on the server.`,
    { extensions: { requires: 'installation_admin' } },
  );
}
