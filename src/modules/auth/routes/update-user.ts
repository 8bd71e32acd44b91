import { principalOf } from '../../../shared/principal.js';
import { IdParams } from '../../../shared/schemas.js';
import { updateUser } from '../auth.commands.js';
import { UpdateUserBody, UserSchema } from '../auth.schemas.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';
import { AuthError } from '../auth.errors.js';

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
        response: { 200: UserSchema },
      },
      config: {
        permission: 'manage_users',
        errors: [AuthError.USER_NOT_FOUND, AuthError.USER_OWNER_ONLY, AuthError.USER_SELF_LOCKOUT, AuthError.TENANT_LAST_OWNER],
      },
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
