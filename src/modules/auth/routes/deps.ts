import type { PrincipalLoader, TokenService } from '../../../identity/index.js';
import type { ModuleContext } from '../../module.js';
import type { SignInGuard } from '../auth.sign-in-guard.js';

/** What the auth module's routes share: the module's context, identity, the sign-in guard and the hashing queue. */
export interface AuthRouteDeps {
  ctx: ModuleContext;
  tokens: TokenService;
  principals: PrincipalLoader;
  guard: SignInGuard;
  /** Hashes a password in the guard's bounded queue. */
  hash: (password: string) => Promise<string>;
}
