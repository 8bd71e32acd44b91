import { principalOf } from '../../../shared/principal.js';
import { IdParams } from '../../../shared/schemas.js';
import { AuthError, userNotFound } from '../auth.errors.js';
import { findUser } from '../auth.queries.js';
import { UserSchema } from '../auth.schemas.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';

/** `GET /users/:id`: one user of the caller's tenant. */
export function getUserRoute(app: ModuleRouter, { ctx }: AuthRouteDeps): void {
  app.get(
    '/users/:id',
    {
      schema: { summary: 'One user', tags: ['auth'], params: IdParams, response: { 200: UserSchema } },
      config: { permission: 'manage_users', errors: [AuthError.USER_NOT_FOUND] },
    },
    async (request) => {
      const user = await findUser(ctx.db, principalOf(request).tenantId, request.params.id);
      if (!user) throw userNotFound(request.params.id);
      return user;
    },
  );
}
