import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import { installationRoleRequired, type Identity, type TokenClaims } from '../identity/index.js';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import { authRequired, can, operatesInstallation, type Principal } from '../shared/principal.js';
import { text } from '../shared/i18n/translate.js';

/** The token of the request's `Authorization: Bearer …` header, or undefined without one. */
export function bearerTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
}

function bearerToken(request: FastifyRequest): string {
  const token = bearerTokenOf(request);
  if (!token) throw authRequired();
  return token;
}

/**
 * Authenticates every `/api` request: verifies the Bearer token, loads the principal (its tenant
 * and role come from the token's user, never from the request), and checks the route's
 * `config.permission` (default `read`) against the role table (while the database cannot be
 * asked, no more than this machine last knew of the user), and the installation role
 * on routes with `config.installation`: 401 without a valid token, 403 naming the missing
 * permission or role. Routes with `config.public` and unknown URLs skip it.
 */
export function registerAuthentication(app: FastifyInstance, identity: Identity, circuit: DatabaseCircuit): void {
  const { tokens, principals } = identity;
  // NB: a callback hook, not an async one, and no promise at all while the user is cached (nearly
  // every request): this runs before every /api request.
  app.addHook('onRequest', (request, _reply, done) => {
    // NB: decided on the matched route, never the raw URL: the router decodes the path, so
    // "/%61pi/…" reaches an /api route without starting with "/api/".
    // NB: read once: Fastify builds a new routeOptions object on every access.
    const { url, config } = request.routeOptions;
    const route = url ?? '';
    if (request.is404 || !route.startsWith('/api/') || config?.public) return done();
    let claims: TokenClaims;
    try {
      claims = tokens.verify(bearerToken(request));
    } catch (error) {
      return done(error as Error);
    }
    const admit = (principal: Principal) => {
      request.principal = principal;
      const permission = config?.permission ?? 'read';
      if (!can(principal.role, permission)) {
        return done(
          new AppError(ErrorCode.AUTH_FORBIDDEN, 403, text('http.routeForbidden', { role: principal.role, permission, method: request.method, route }), {
            extensions: { permission },
          }),
        );
      }
      if (config?.installation && !operatesInstallation(principal)) return done(installationRoleRequired(request.method, route));
      done();
    };
    const cached = principals.cached(claims);
    if (cached) admit(cached);
    // NB: the final catch: a throw from admit must not become an unhandled rejection (fatal).
    else principals.load(claims, { databaseDown: !circuit.closed }).then(admit, done).catch(done);
  });
}
