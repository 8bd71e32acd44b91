// What robusto adds to Fastify's types: the request's principal and per-route settings.
import type { RouteErrorSpec } from '../shared/error-registry.js';
import type { Permission, Principal } from '../shared/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who makes the request, from the verified token; unset on public routes. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The route answers without a token (login, health, docs). */
    public?: boolean;
    /** The permission a caller's role needs; `read` when unset. */
    permission?: Permission;
    /**
     * The route shows or changes the whole installation (backups, restarts, jobs): besides the
     * permission, the caller needs the installation role.
     */
    installation?: boolean;
    /** The route answers without the main database (from the journal), so it keeps answering while the database circuit is open. */
    withoutDatabase?: boolean;
    /**
     * The route's write goes through the write path (`ctx.execute`): it honours `Idempotency-Key`
     * and answers 202 with a receipt when the write is journaled. Set by the kernel for every
     * write of a module with commands that is neither public nor `withoutDatabase`; a route sets
     * it itself only to say otherwise.
     */
    writePath?: boolean;
    /**
     * Error codes the route answers besides those its configuration implies (a module's
     * conflicts, a code of another module, a 500 of its own): codes of the registry, or, for a
     * module outside it, `{ code, status, meaning? }`. The OpenAPI document declares their
     * statuses with them as examples, and they replace the module's own codes there; a code no
     * module registered (or a malformed one) fails the module's registration.
     */
    errors?: readonly RouteErrorSpec[];
    /** The module that registered the route, set by the kernel: names its tag and operation ids in the OpenAPI document. */
    module?: { name: string; prefix: string; description: string | undefined };
  }
}
