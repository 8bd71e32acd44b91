import { createTenant, createUser, setInstallationAdmin, signOut, updateUser } from './auth.commands.js';
import type { Database } from '../../db/database.js';
import { defineModule } from '../module.js';
import { createInitialOwner } from './auth.bootstrap.js';
import { authMigrations } from './auth.migrations.js';
import { createPrincipalLoader, type PrincipalLoader } from './auth.principals.js';
import { authRoutes } from './auth.routes.js';
import { createTokenService, type TokenService } from './auth.tokens.js';
import type { KnownPrincipals } from '../../resilience/known-principals.js';

export { createTenant, createUser, setInstallationAdmin } from './auth.commands.js';
export { hashPassword } from './auth.passwords.js';
export { replayAuthorCheck } from './auth.authors.js';
export { findTenantBySlug, findUserByEmail } from './auth.queries.js';
export { AuthError, GRANT_INSTALLATION_ROLE, installationRoleRequired, tokenInvalid } from './auth.errors.js';
export type { TokenService, TokenClaims } from './auth.tokens.js';
export type { PrincipalLoader } from './auth.principals.js';

/** What the HTTP layer needs from auth to authenticate every request. */
export interface AuthServices {
  tokens: TokenService;
  principals: PrincipalLoader;
}

const servicesByDb = new WeakMap<Database, AuthServices>();

/**
 * The token service and principal loader for a database: one per database, shared by the HTTP
 * layer (which authenticates requests) and the auth routes (which sign tokens and forget a
 * changed user). `known` (what this machine knows of users for outages) is taken by the first
 * call; without it, that knowledge is kept in memory.
 */
export function authServicesFor(db: Database, secretKey: string, known?: KnownPrincipals): AuthServices {
  let services = servicesByDb.get(db);
  if (!services) {
    services = { tokens: createTokenService(secretKey), principals: createPrincipalLoader(db, known) };
    servicesByDb.set(db, services);
  }
  return services;
}

/**
 * The auth module: tenants and users, login (`POST /api/auth/login`), `GET /api/auth/me`, and
 * user administration (`/api/auth/users`) within the caller's tenant. On a first start it
 * creates the owner account.
 */
export default defineModule({
  name: 'auth',
  commands: [createTenant, createUser, setInstallationAdmin, signOut, updateUser],
  migrations: authMigrations,
  routes: async (app, ctx) => {
    const { tokens, principals } = authServicesFor(ctx.db, ctx.config.secretKey);
    await authRoutes(tokens, principals)(app, ctx);
  },
  onReady: createInitialOwner,
});
