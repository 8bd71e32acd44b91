import { Type } from '@sinclair/typebox';
import { principalOf } from '../../../shared/principal.js';
import { signOut } from '../auth.commands.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';
import { AuthError } from '../auth.errors.js';

/** `POST /logout`: revokes every token of the caller, and forgets their cached rights. */
export function logoutRoute(app: ModuleRouter, { ctx, principals }: AuthRouteDeps): void {
  app.post(
    '/logout',
    {
      schema: {
        operationId: signOut.name,
        summary: 'Sign out: revokes every token of mine (all my sessions), at once on this server and within seconds on the others',
        tags: ['auth'],
        response: { 200: Type.Object({ signedOut: Type.Literal(true) }) },
      },
      config: { errors: [AuthError.USER_NOT_FOUND] },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const sent = await ctx.execute(request, reply, signOut, {});
      principals.forget(principal.userId);
      return sent;
    },
  );
}
