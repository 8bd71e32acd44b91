import { AppError } from './app-error.js';
import { ErrorCode } from './error-codes.js';
import { text } from './i18n/translate.js';

/** The roles a user can have, from most to least powerful. */
export const ROLES = ['owner', 'admin', 'staff', 'viewer'] as const;

/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** Who is making a request: always taken from the verified token, never from the request. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
  email: string;
  /** The token epoch of the token this request came with: a journaled write records it. */
  tokenEpoch: number;
  /**
   * Whether the user holds the installation role: besides their tenant, they operate the whole
   * installation (backups, restarts, jobs, every tenant's figures and error lines). Always what
   * the database says of the user (or last said, while it is down), never a claim of the token.
   */
  installationAdmin: boolean;
}

/** What a role may do. */
export type Permission = 'read' | 'write' | 'delete' | 'manage_users' | 'audit' | 'system';

/**
 * The one table of permissions by role: viewers read; staff also create and update; admins and
 * owners also delete, manage users, read the audit trail and operate the system (`/api/system`).
 */
export const PERMISSIONS_BY_ROLE: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['read'],
  staff: ['read', 'write'],
  admin: ['read', 'write', 'delete', 'manage_users', 'audit', 'system'],
  owner: ['read', 'write', 'delete', 'manage_users', 'audit', 'system'],
};

/** Tells whether `role` has `permission` according to {@link PERMISSIONS_BY_ROLE}. */
export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS_BY_ROLE[role].includes(permission);
}

/**
 * Whether `principal` operates the whole installation: the installation role, and a role that
 * operates the system (a user demoted to staff keeps the flag but not its use).
 */
export function operatesInstallation(principal: Principal): boolean {
  return principal.installationAdmin && can(principal.role, 'system');
}

/**
 * The principal of an authenticated request.
 *
 * @throws {AppError} 401 when the request carries none (a route that forgot to require auth).
 */
export function principalOf(request: { principal?: Principal }): Principal {
  if (!request.principal) throw authRequired();
  return request.principal;
}

/** The 401 of a request that carries no token. */
export function authRequired(): AppError {
  return new AppError(ErrorCode.AUTH_REQUIRED, 401, text('http.signInFirst'));
}
