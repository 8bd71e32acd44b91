import { principalOf } from '../../../shared/principal.js';
import { AuthError, userNotFound } from '../auth.errors.js';
import { findTenant, findUser } from '../auth.queries.js';
import { MeResponse } from '../auth.schemas.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';

/** `GET /me`: the signed-in user, their tenant and whether they hold the installation role. */
export function meRoute(app: ModuleRouter, { ctx }: AuthRouteDeps): void {
  app.get(
    '/me',
    { schema: { summary: 'Who am I', tags: ['auth'], response: { 200: MeResponse } }, config: { errors: [AuthError.USER_NOT_FOUND] } },
    async (request) => {
      const principal = principalOf(request);
      const [user, tenant] = await Promise.all([findUser(ctx.db, principal.tenantId, principal.userId), findTenant(ctx.db, principal.tenantId)]);
      if (!user || !tenant) throw userNotFound(principal.userId);
      return { ...user, tenant, installationAdmin: principal.installationAdmin };
    },
  );
}
