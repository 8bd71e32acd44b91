import { principalOf } from '../../../shared/principal.js';
import { createUser } from '../auth.commands.js';
import { CreateUserBody, UserSchema } from '../auth.schemas.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';
import { AuthError } from '../auth.errors.js';

/** `POST /users`: creates a user of the caller's tenant (its password hashed in the hashing queue). */
export function createUserRoute(app: ModuleRouter, { ctx, hash }: AuthRouteDeps): void {
  app.post(
    '/users',
    {
      schema: {
        operationId: createUser.name,
        summary: 'Create a user',
        tags: ['auth'],
        body: CreateUserBody,
        response: { 201: UserSchema },
      },
      config: { permission: 'manage_users', errors: [AuthError.USER_EMAIL_TAKEN, AuthError.USER_OWNER_ONLY] },
    },
    async (request, reply) => {
      const { password, ...rest } = request.body;
      return ctx.execute(request, reply, createUser, { ...rest, passwordHash: await hash(password), actorRole: principalOf(request).role });
    },
  );
}
