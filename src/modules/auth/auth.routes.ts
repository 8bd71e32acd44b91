import { Type } from '@sinclair/typebox';
import { isTransientError } from '../../db/transient-errors.js';
import { AppError } from '../../shared/app-error.js';
import { DATABASE_RETRY_AFTER_SECONDS, ErrorCode } from '../../shared/error-codes.js';
import { principalOf } from '../../shared/principal.js';
import { IdParams, PageOf, PageQuery, problemResponses } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { createUser, signOut, updateUser } from './auth.commands.js';
import { AuthError, invalidCredentials, userNotFound } from './auth.errors.js';
import { hashPassword, verifyPassword } from './auth.passwords.js';
import type { PrincipalLoader } from '../../identity/principals.js';
import { accountKey, SignInGuard } from './auth.sign-in-guard.js';
import { findLoginUser, findTenant, findTenantBySlug, findUser, listUsers, toUser } from './auth.queries.js';
import { CreateUserBody, LoginBody, LoginResponse, MeResponse, UpdateUserBody, UserSchema } from './auth.schemas.js';
import type { TokenService } from '../../identity/tokens.js';

/** Largest sign-in body accepted (4 KiB); larger ones get 413 unread. */
export const LOGIN_BODY_LIMIT_BYTES = 4 * 1024;

/** Sign-in tries allowed per minute from one IP address, whatever emails they name. */
export const SIGN_IN_LIMIT_PER_IP_PER_MINUTE = 20;

/** Routes of the auth module: login, me, and user administration within the caller's tenant. */
export function authRoutes(tokens: TokenService, principals: PrincipalLoader) {
  return async function routes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
    const guard = new SignInGuard();
    const hash = (password: string) => guard.hash(() => hashPassword(password));

    app.post(
      '/login',
      {
        schema: {
          summary: 'Sign in',
          tags: ['auth'],
          security: [],
          body: LoginBody,
          response: { 200: LoginResponse, ...problemResponses(400, 401, 429, 503) },
        },
        // A sign-in is a few hundred bytes: a stranger's megabyte is refused before it is parsed.
        bodyLimit: LOGIN_BODY_LIMIT_BYTES,
        config: {
          public: true,
          // Counted per IP as the request arrives, before its body is read, whatever email it names.
          rateLimit: {
            hook: 'onRequest',
            max: SIGN_IN_LIMIT_PER_IP_PER_MINUTE,
            timeWindow: 60_000,
            keyGenerator: (request) => `sign-in|${request.ip}`,
            errorResponseBuilder: (_request, context) =>
              new AppError(AuthError.RATE_LIMITED, 429, `Too many sign-in attempts from this address; wait ${Math.ceil(context.ttl / 1000)} s and try again.`, {
                retryAfterSeconds: Math.ceil(context.ttl / 1000),
              }),
          },
        },
      },
      async (request) => {
        const { tenant: slug, email, password } = request.body;
        const account = accountKey(slug, email);
        guard.admit(account);
        let tenant, user;
        try {
          tenant = await findTenantBySlug(ctx.db, slug);
          user = await findLoginUser(ctx.db, tenant?.id, email);
        } catch (error) {
          if (!isTransientError(error)) throw error;
          throw new AppError(
            ErrorCode.DATABASE_UNAVAILABLE,
            503,
            'Signing in needs the database, which is not answering right now; retry in a few seconds. Tokens issued before keep working until they expire.',
            {
              retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
              cause: error,
            },
          );
        }
        // Always one password check, so a wrong tenant or email takes as long as a wrong password.
        const valid = await guard.hash(() => verifyPassword(password, user?.password_hash));
        if (!tenant || !user || !valid || !user.active) {
          guard.failed(account);
          throw invalidCredentials();
        }
        guard.succeeded(account);
        const { token, expiresAt } = tokens.sign({ sub: user.id, tid: tenant.id, role: user.role, ep: user.token_epoch });
        return { token, expiresAt, user: { ...toUser(user), tenant } };
      },
    );

    app.get('/me', { schema: { summary: 'Who am I', tags: ['auth'], response: { 200: MeResponse, ...problemResponses(401) } } }, async (request) => {
      const principal = principalOf(request);
      const [user, tenant] = await Promise.all([findUser(ctx.db, principal.tenantId, principal.userId), findTenant(ctx.db, principal.tenantId)]);
      if (!user || !tenant) throw userNotFound(principal.userId);
      return { ...user, tenant, installationAdmin: principal.installationAdmin };
    });

    app.get(
      '/users',
      {
        schema: {
          summary: 'List users of my tenant',
          tags: ['auth'],
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: PageOf(UserSchema), ...problemResponses(400, 401, 403) },
        },
        config: { permission: 'manage_users' },
      },
      async (request) => listUsers(ctx.db, principalOf(request).tenantId, request.query.limit ?? 20, request.query.cursor),
    );

    app.get(
      '/users/:id',
      {
        schema: { summary: 'One user', tags: ['auth'], params: IdParams, response: { 200: UserSchema, ...problemResponses(401, 403, 404) } },
        config: { permission: 'manage_users' },
      },
      async (request) => {
        const user = await findUser(ctx.db, principalOf(request).tenantId, request.params.id);
        if (!user) throw userNotFound(request.params.id);
        return user;
      },
    );

    app.post(
      '/users',
      {
        schema: { summary: 'Create a user', tags: ['auth'], body: CreateUserBody, response: { 201: UserSchema, ...problemResponses(400, 401, 403, 409, 422) } },
        config: { permission: 'manage_users' },
      },
      async (request, reply) => {
        const { password, ...rest } = request.body;
        return ctx.execute(request, reply, createUser, { ...rest, passwordHash: await hash(password), actorRole: principalOf(request).role });
      },
    );

    app.patch(
      '/users/:id',
      {
        schema: {
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

    app.post(
      '/logout',
      {
        schema: {
          summary: 'Sign out: revokes every token of mine (all my sessions), at once on this server and within seconds on the others',
          tags: ['auth'],
          response: { 200: Type.Object({ signedOut: Type.Literal(true) }), ...problemResponses(401) },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        const sent = await ctx.execute(request, reply, signOut, {});
        principals.forget(principal.userId);
        return sent;
      },
    );
  };
}
