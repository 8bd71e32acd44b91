import type { FastifyRequest } from 'fastify';
import type { HealthDetails } from '../config/config.js';
import type { Identity } from '../identity/index.js';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import { operatesInstallation } from '../shared/principal.js';
import { bearerTokenOf } from './authenticate.js';

/** Tells whether a request to `/health` or `/metrics` may see their details. */
export type DetailsGate = (request: FastifyRequest) => Promise<boolean>;

/**
 * True for an address of this machine (`127.0.0.0/8`, `::1`, and the former as IPv6-mapped).
 * `request.ip` is the peer's address, or the client's behind a trusted proxy.
 */
export function isLoopback(ip: string): boolean {
  return ip === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i.test(ip);
}

/**
 * Whether the request's Bearer token belongs to a user who operates the installation (an admin
 * or owner with the installation role, as the database says, or last said while it is down). A
 * missing, invalid or expired token is no error here: the answer just keeps its details.
 */
async function fromInstallationRole(request: FastifyRequest, auth: Identity, circuit: DatabaseCircuit): Promise<boolean> {
  const token = bearerTokenOf(request);
  if (!token) return false;
  try {
    const claims = auth.tokens.verify(token);
    const principal = auth.principals.cached(claims) ?? (await auth.principals.load(claims, { databaseDown: !circuit.closed }));
    return operatesInstallation(principal);
  } catch {
    return false;
  }
}

/**
 * The gate of `/health` and `/metrics` details (error texts, versions, figures, per-route
 * counts) for `HEALTH_DETAILS`: `always`; `never`; `authorized`, a token of the installation
 * role; `loopback` (the default), that token or a client on this machine. Without details a
 * caller still gets the status and the check names, which monitors and load balancers need.
 */
export function createDetailsGate(mode: HealthDetails, auth: Identity, circuit: DatabaseCircuit): DetailsGate {
  switch (mode) {
    case 'always':
      return async () => true;
    case 'never':
      return async () => false;
    case 'authorized':
      return (request) => fromInstallationRole(request, auth, circuit);
    case 'loopback':
      return async (request) => isLoopback(request.ip) || fromInstallationRole(request, auth, circuit);
  }
}

/** The note a `/health` answer without details carries: why, and how to get them. */
export const DETAILS_HIDDEN_NOTE =
  'details hidden: send a token of a user with the installation role (Authorization: Bearer …), or ask from this machine; HEALTH_DETAILS decides';
