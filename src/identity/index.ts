import type { Database } from '../db/database.js';
import type { KnownPrincipals } from '../resilience/known-principals.js';
import { createPrincipalLoader, type PrincipalLoader } from './principals.js';
import { createTokenService, type TokenService } from './tokens.js';

export { replayAuthorCheck } from './authors.js';
export { GRANT_INSTALLATION_ROLE, IdentityError, installationRoleRequired } from './identity.errors.js';
export type { PrincipalLoader } from './principals.js';
export { createTokenService, type TokenClaims, type TokenService } from './tokens.js';

/**
 * Who is signed in: the token service (signs and verifies sign-in tokens) and the principal
 * loader (turns a token into the user's current rights, cached for a few seconds). One per app,
 * built by `buildApp`: the HTTP layer authenticates every request with it, the auth module signs
 * tokens and forgets a changed user with it.
 */
export interface Identity {
  readonly tokens: TokenService;
  readonly principals: PrincipalLoader;
}

/**
 * Builds the identity of an app on `db`, signing with `secretKey`; `known` is what this machine
 * remembers of users for outages (kept in memory when not given).
 */
export function createIdentity(db: Database, secretKey: string, known?: KnownPrincipals): Identity {
  return { tokens: createTokenService(secretKey), principals: createPrincipalLoader(db, known) };
}
