import type { Database } from '../../db/database.js';
import { isTransientError } from '../../db/transient-errors.js';
import type { Principal } from '../../shared/principal.js';
import { tokenInvalid } from './auth.errors.js';
import { findPrincipalRow } from './auth.queries.js';
import type { TokenClaims } from './auth.tokens.js';

/** How long a resolved principal is reused before the user is looked up again. */
export const PRINCIPAL_CACHE_TTL_MS = 5_000;
const PRINCIPAL_CACHE_MAX = 10_000;

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
 * Creates a {@link PrincipalLoader}. The role comes from the database, not the token, so a
 * demoted or disabled user loses access within {@link PRINCIPAL_CACHE_TTL_MS} everywhere (at
 * once in the process that made the change); while the database is unreachable, the last known
 * principal (or the token's claims) stands in.
 */
export function createPrincipalLoader(db: Database): PrincipalLoader {
  const cache = new Map<string, { principal: Principal; until: number }>();
  const cached = (claims: TokenClaims): Principal | undefined => {
    const hit = cache.get(claims.sub);
    return hit && hit.principal.tenantId === claims.tid && hit.until > Date.now() ? hit.principal : undefined;
  };
  return {
    cached,
    async load(claims, options = {}) {
      const fresh = cached(claims);
      if (fresh) return fresh;
      const hit = cache.get(claims.sub);
      const known = hit && hit.principal.tenantId === claims.tid ? hit.principal : undefined;
      // NB: while the database is unreachable, a valid token still identifies its user, so
      // writes can reach the journal instead of failing at sign-in: the last known principal,
      // else the token's own claims. A user disabled meanwhile keeps access until it is back.
      const standIn = (): Principal => known ?? { userId: claims.sub, tenantId: claims.tid, role: claims.role, email: '' };
      if (options.databaseDown) return standIn();
      let row;
      try {
        row = await findPrincipalRow(db, claims.tid, claims.sub);
      } catch (error) {
        if (!isTransientError(error)) throw error;
        return standIn();
      }
      if (!row || !row.active) {
        cache.delete(claims.sub);
        throw tokenInvalid();
      }
      const principal: Principal = { userId: row.id, tenantId: row.tenant_id, role: row.role, email: row.email };
      if (cache.size >= PRINCIPAL_CACHE_MAX) cache.clear();
      cache.set(claims.sub, { principal, until: Date.now() + PRINCIPAL_CACHE_TTL_MS });
      return principal;
    },
    forget(userId) {
      cache.delete(userId);
    },
  };
}
