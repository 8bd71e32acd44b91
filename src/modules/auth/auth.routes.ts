import type { PrincipalLoader, TokenService } from '../../identity/index.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { hashPassword } from './auth.passwords.js';
import { SignInGuard } from './auth.sign-in-guard.js';
import { createUserRoute } from './routes/create-user.js';
import { getUserRoute } from './routes/get-user.js';
import { listUsersRoute } from './routes/list-users.js';
import { loginRoute } from './routes/login.js';
import { logoutRoute } from './routes/logout.js';
import { meRoute } from './routes/me.js';
import { updateUserRoute } from './routes/update-user.js';

export { LOGIN_BODY_LIMIT_BYTES, SIGN_IN_LIMIT_PER_IP_PER_MINUTE } from './auth.limits.js';

/** Routes of the auth module, one file each: sign-in, me, and user administration within the caller's tenant. */
export function authRoutes(tokens: TokenService, principals: PrincipalLoader) {
  return async function routes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
    const guard = new SignInGuard();
    const deps = { ctx, tokens, principals, guard, hash: (password: string) => guard.hash(() => hashPassword(password)) };
    for (const route of [loginRoute, meRoute, listUsersRoute, getUserRoute, createUserRoute, updateUserRoute, logoutRoute]) route(app, deps);
  };
}
