import { Type } from '@sinclair/typebox';
import { principalOf } from '../../../shared/principal.js';
import { PageOf, PageQuery } from '../../../shared/schemas.js';
import { listUsers } from '../auth.queries.js';
import { UserSchema } from '../auth.schemas.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';

/** `GET /users`: a page of the caller's tenant's users. */
export function listUsersRoute(app: ModuleRouter, { ctx }: AuthRouteDeps): void {
  app.get(
    '/users',
    {
      schema: {
        summary: 'List users of my tenant',
        tags: ['auth'],
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: { 200: PageOf(UserSchema) },
      },
      config: { permission: 'manage_users', errors: [] },
    },
    async (request) => listUsers(ctx.db, principalOf(request).tenantId, request.query.limit ?? 20, request.query.cursor),
  );
}
