import { createTenant, createUser, setInstallationAdmin, signOut, updateUser } from './auth.commands.js';
import { defineModule } from '../module.js';
import { createInitialOwner } from './auth.bootstrap.js';
import { authMigrations } from './auth.migrations.js';
import { authRoutes } from './auth.routes.js';

export { createTenant, createUser, setInstallationAdmin } from './auth.commands.js';
export { hashPassword } from './auth.passwords.js';
export { findTenantBySlug, findUserByEmail } from './auth.queries.js';
export { AuthError } from './auth.errors.js';

/**
 * The auth module: tenants and users, login (`POST /api/auth/login`), `GET /api/auth/me`, and
 * user administration (`/api/auth/users`) within the caller's tenant. On a first start it
 * creates the owner account.
 */
export default defineModule({
  name: 'auth',
  description: 'Sign-in and sign-out, who am I, and the users of your tenant (admins and owners).',
  commands: [createTenant, createUser, setInstallationAdmin, signOut, updateUser],
  migrations: authMigrations,
  routes: async (app, ctx) => {
    await authRoutes(ctx.identity.tokens, ctx.identity.principals)(app, ctx);
  },
  onReady: createInitialOwner,
});
