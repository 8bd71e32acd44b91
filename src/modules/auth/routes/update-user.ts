import { principalOf } from '../../../shared/principal.js';
import { IdParams, problemResponses } from '../../../shared/schemas.js';
import { updateUser } from '../auth.commands.js';
import { UpdateUserBody, UserSchema } from '../auth.schemas.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';

/** `PATCH /users/:id`: changes a user's role, name, password or active flag; their cached rights are forgotten at once. */
export function updateUserRoute(app: ModuleRouter, { ctx, principals, hash }: AuthRouteDeps): void {
  app.patch(
    '/users/:id',
    {
      schema: {
        operationId: updateUser.name,
        summary: 'Change a user (role, name, password, active)',
        tags: ['auth'],
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
      config: { permission: 'manage_users' },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { password, ...rest } = request.body;
      const sent = await ctx.execute(request, reply, updateUser, {
        id: request.params.id,
        ...rest,
        ...(password !== undefined ? { passwordHash: await hash(password) } : {}),
        actor: { userId: principal.userId, role: principal.role },
      });
      principals.forget(request.params.id);
      return sent;
    },
  );
}
