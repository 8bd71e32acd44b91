import { AppError } from '../shared/app-error.js';
import { defineErrors } from '../shared/error-registry.js';
import { text } from '../shared/i18n/translate.js';

/** Stable error codes of identity: the tokens every request carries, and the installation role. */
export const IdentityError = defineErrors('identity', {
  TOKEN_INVALID: { code: 'ERR_AUTH_TOKEN_INVALID', status: 401 },
  TOKEN_EXPIRED: { code: 'ERR_AUTH_TOKEN_EXPIRED', status: 401 },
  INSTALLATION_ROLE_REQUIRED: { code: 'ERR_INSTALLATION_ROLE_REQUIRED', status: 403 },
});

/** How the installation role is granted, as the messages about it say. */
export const GRANT_INSTALLATION_ROLE = 'robusto user installation-admin <email> --tenant <slug>';

/** A token that does not verify (or whose user is gone or disabled). */
export function tokenInvalid(): AppError {
  return new AppError(IdentityError.TOKEN_INVALID, 401, text('identity.tokenInvalid'));
}

/** An expired token. */
export function tokenExpired(): AppError {
  return new AppError(IdentityError.TOKEN_EXPIRED, 401, text('identity.tokenExpired'));
}

/**
 * The 403 of a tenant admin on a route about the whole installation (backups, restarts, jobs,
 * every tenant's figures): what is refused, and who can grant the role.
 */
export function installationRoleRequired(method: string, route: string): AppError {
  return new AppError(
    IdentityError.INSTALLATION_ROLE_REQUIRED,
    403,
    text('identity.installationRoleRequired', { method, route, command: GRANT_INSTALLATION_ROLE }),
    { extensions: { requires: 'installation_admin' } },
  );
}
