import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../db/database.js';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import { AuthError, authServicesFor } from '../modules/auth/index.js';
import { AppError } from '../shared/app-error.js';
import { authRequired, can } from '../shared/principal.js';

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) throw authRequired();
  return match[1];
}

/**
 * Authenticates every `/api` request: verifies the Bearer token, loads the principal (its tenant
 * and role come from the token's user, never from the request), and checks the route's
 * `config.permission` (default `read`) against the role table (while the database circuit is
 * open, the last known principal or the token's claims stand in): 401 without a valid token, 403
 * naming the missing permission. Routes with `config.public` and unknown URLs skip it.
 */
export function registerAuthentication(app: FastifyInstance, db: Database, secretKey: string, circuit: DatabaseCircuit): void {
  const { tokens, principals } = authServicesFor(db, secretKey);
  app.addHook('onRequest', async (request) => {
    // NB: decided on the matched route, never the raw URL: the router decodes the path, so
    // "/%61pi/…" reaches an /api route without starting with "/api/".
    const route = request.routeOptions.url ?? '';
    if (request.is404 || !route.startsWith('/api/') || request.routeOptions.config?.public) return;
    const claims = tokens.verify(bearerToken(request));
    request.principal = await principals.load(claims, { databaseDown: !circuit.closed });
    const permission = request.routeOptions.config?.permission ?? 'read';
    if (!can(request.principal.role, permission)) {
      throw new AppError(AuthError.FORBIDDEN, 403, `Your role "${request.principal.role}" lacks the "${permission}" permission needed for ${request.method} ${request.routeOptions.url}; ask an admin or owner.`, {
        extensions: { permission },
      });
    }
  });
}
