import type { Database } from '../../db/database.js';
import type { Principal } from '../../shared/principal.js';
import { tokenInvalid } from './auth.errors.js';
import { findPrincipalRow } from './auth.queries.js';
import type { TokenClaims } from './auth.tokens.js';

/** How long a resolved principal is reused before the user is looked up again. */
export const PRINCIPAL_CACHE_TTL_MS = 5_000;
const PRINCIPAL_CACHE_MAX = 10_000;

/** Turns verified token claims into a principal, checking the user still exists and is active. */
export interface PrincipalLoader {
  load(claims: TokenClaims): Promise<Principal>;
  /** Forgets a user, so a change of role or a disable takes effect at once in this process. */
  forget(userId: string): void;
}

/**
 * Creates a {@link PrincipalLoader}. The role comes from the database, not the token, so a
 * demoted or disabled user loses access within {@link PRINCIPAL_CACHE_TTL_MS} everywhere (at
 * once in the process that made the change).
 */
export function createPrincipalLoader(db: Database): PrincipalLoader {
  const cache = new Map<string, { principal: Principal; until: number }>();
  return {
    async load(claims) {
      const hit = cache.get(claims.sub);
      if (hit && hit.until > Date.now() && hit.principal.tenantId === claims.tid) return hit.principal;
      const row = await findPrincipalRow(db, claims.tid, claims.sub);
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
