import type { Database } from '../db/database.js';
import { isTransientError } from '../db/transient-errors.js';
import { KnownPrincipals, type KnownPrincipal } from '../resilience/known-principals.js';
import type { Principal } from '../shared/principal.js';
import { tokenInvalid } from './identity.errors.js';
import { findPrincipalRow } from './principal-row.js';
import type { TokenClaims } from './tokens.js';

/** How long a resolved principal is reused before the user is looked up again. */
export const PRINCIPAL_CACHE_TTL_MS = 5_000;
/** The most principals kept in the cache; it starts over empty when full. */
export const PRINCIPAL_CACHE_MAX = 10_000;

/** Turns verified token claims into a principal, checking the user still exists and is active. */
export interface PrincipalLoader {
  /** `databaseDown`: the caller knows the database is not answering (its circuit is open): do not ask it. */
  load(claims: TokenClaims, options?: { databaseDown?: boolean }): Promise<Principal>;
  /** The principal `load` would resolve from its cache without asking anyone, if it has a fresh one. */
  cached(claims: TokenClaims): Principal | undefined;
  /** Forgets a user, so a change of role or a disable takes effect at once in this process. */
  forget(userId: string): void;
}

/**
 * The principal a token gets while the database cannot be asked: no more than this machine last
 * knew of its user (role, installation role, active, token epoch; see {@link KnownPrincipals}),
 * so a user disabled, demoted or signed out before the outage stays so. A user never seen here
 * gets the token's own claims without the installation role; the replay of what they write checks
 * them against the database.
 *
 * @throws {AppError} 401 for a user known to be disabled or a token known to be revoked.
 */
function standInFor(claims: TokenClaims, last: KnownPrincipal | undefined): Principal {
  // NB: the installation role is never taken from a token: a user never seen here has none.
  if (!last || last.tenantId !== claims.tid)
    return { userId: claims.sub, tenantId: claims.tid, role: claims.role, email: '', tokenEpoch: claims.ep, installationAdmin: false };
  if (!last.active || claims.ep < last.tokenEpoch) throw tokenInvalid();
  return { userId: last.userId, tenantId: last.tenantId, role: last.role, email: last.email, tokenEpoch: claims.ep, installationAdmin: last.installationAdmin };
}

/**
 * Creates a {@link PrincipalLoader}. The role and the installation role come from the database,
 * not the token, so a demoted or disabled user, or one whose installation role was revoked, loses
 * access within {@link PRINCIPAL_CACHE_TTL_MS} everywhere (at once in the process that made the
 * change), and a token of an older token epoch (signed out,
 * password changed) is refused. What the database says is also kept in `known`, which decides
 * while the database is unreachable (see {@link standInFor}).
 */
export function createPrincipalLoader(db: Database, known: KnownPrincipals = new KnownPrincipals(undefined)): PrincipalLoader {
  const cache = new Map<string, { principal: Principal; until: number }>();
  const cached = (claims: TokenClaims): Principal | undefined => {
    const hit = cache.get(claims.sub);
    return hit && hit.principal.tenantId === claims.tid && hit.principal.tokenEpoch === claims.ep && hit.until > Date.now() ? hit.principal : undefined;
  };
  return {
    cached,
    async load(claims, options = {}) {
      const fresh = cached(claims);
      if (fresh) return fresh;
      if (options.databaseDown) return standInFor(claims, known.get(claims.sub));
      let row;
      try {
        row = await findPrincipalRow(db, claims.tid, claims.sub);
      } catch (error) {
        if (!isTransientError(error)) throw error;
        return standInFor(claims, known.get(claims.sub));
      }
      const installationAdmin = Boolean(row?.installation_admin);
      if (row)
        known.remember({
          userId: row.id,
          tenantId: row.tenant_id,
          role: row.role,
          email: row.email,
          active: Boolean(row.active),
          tokenEpoch: Number(row.token_epoch),
          installationAdmin,
        });
      if (!row || !row.active || Number(row.token_epoch) !== claims.ep) {
        cache.delete(claims.sub);
        throw tokenInvalid();
      }
      const principal: Principal = { userId: row.id, tenantId: row.tenant_id, role: row.role, email: row.email, tokenEpoch: claims.ep, installationAdmin };
      if (cache.size >= PRINCIPAL_CACHE_MAX) cache.clear();
      cache.set(claims.sub, { principal, until: Date.now() + PRINCIPAL_CACHE_TTL_MS });
      return principal;
    },
    forget(userId) {
      cache.delete(userId);
    },
  };
}
