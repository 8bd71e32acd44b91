import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import type { Role } from '../shared/principal.js';
import { tokenExpired, tokenInvalid } from './identity.errors.js';

/** How long a login token is valid. */
export const TOKEN_LIFETIME_MS = 12 * 3_600_000;

/** What a token says: the user (`sub`), their tenant (`tid`), their role and token epoch (`ep`) at sign-in. */
export interface TokenClaims {
  sub: string;
  tid: string;
  role: Role;
  /** The user's token epoch when it was signed: it is valid only while the user's is the same. */
  ep: number;
}

/** Signs and verifies login tokens (JWT, HS256, with `SECRET_KEY`). */
export interface TokenService {
  sign(claims: TokenClaims): { token: string; expiresAt: string };
  /** @throws {AppError} 401 `ERR_AUTH_TOKEN_EXPIRED` or `ERR_AUTH_TOKEN_INVALID`. */
  verify(token: string): TokenClaims;
}

const VERIFIED_CACHE_MAX = 10_000;

/**
 * How far in the future a token's issue time may be: clocks of two servers differ by a little.
 * A token issued further ahead was signed by a clock that was wrong, and would otherwise outlive
 * its 12 hours once the clock is corrected.
 */
export const TOKEN_ISSUED_LEEWAY_MS = 60_000;

/**
 * Creates the {@link TokenService} for a secret key. Verified tokens are remembered until they
 * expire, keyed by the token itself: a client sends the same token on every request, and a map
 * lookup is much cheaper than an HMAC check (the user behind it is still checked on each request
 * by the principal loader). A token must say when it was issued, and not later than
 * {@link TOKEN_ISSUED_LEEWAY_MS} from now.
 */
export function createTokenService(secretKey: string): TokenService {
  const signer = createSigner({ key: secretKey, algorithm: 'HS256', expiresIn: TOKEN_LIFETIME_MS });
  const verifier = createVerifier({ key: secretKey, algorithms: ['HS256'] });
  const verified = new Map<string, { claims: TokenClaims; expiresAtMs: number }>();
  return {
    sign(claims) {
      const token = signer({ ...claims });
      return { token, expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString() };
    },
    verify(token) {
      const hit = verified.get(token);
      if (hit && hit.expiresAtMs > Date.now()) return hit.claims;
      if (hit) verified.delete(token);
      try {
        const payload = verifier(token) as Partial<TokenClaims> & { exp?: number; iat?: number };
        if (typeof payload.sub !== 'string' || typeof payload.tid !== 'string' || typeof payload.role !== 'string' || typeof payload.exp !== 'number')
          throw tokenInvalid();
        if (typeof payload.iat !== 'number' || payload.iat * 1000 > Date.now() + TOKEN_ISSUED_LEEWAY_MS) throw tokenInvalid();
        if (payload.ep !== undefined && (typeof payload.ep !== 'number' || !Number.isInteger(payload.ep))) throw tokenInvalid();
        const claims: TokenClaims = { sub: payload.sub, tid: payload.tid, role: payload.role, ep: payload.ep ?? 0 };
        if (verified.size >= VERIFIED_CACHE_MAX) verified.clear();
        verified.set(token, { claims, expiresAtMs: payload.exp * 1000 });
        return claims;
      } catch (error) {
        if (error instanceof TokenError && error.code === TokenError.codes.expired) throw tokenExpired();
        throw tokenInvalid();
      }
    },
  };
}
