import { isTransientError } from '../../../db/transient-errors.js';
import { AppError } from '../../../shared/app-error.js';
import { DATABASE_RETRY_AFTER_SECONDS, ErrorCode } from '../../../shared/error-codes.js';
import { AuthError, invalidCredentials } from '../auth.errors.js';
import { verifyPassword } from '../auth.passwords.js';
import { accountKey } from '../auth.sign-in-guard.js';
import { findLoginUser, findTenantBySlug, toUser } from '../auth.queries.js';
import { LoginBody, LoginResponse } from '../auth.schemas.js';
import { LOGIN_BODY_LIMIT_BYTES, SIGN_IN_LIMIT_PER_IP_PER_MINUTE } from '../auth.limits.js';
import type { ModuleRouter } from '../../module.js';
import type { AuthRouteDeps } from './deps.js';
import { text } from '../../../shared/i18n/translate.js';

/** `POST /login`: signs in with tenant, email and password, and returns a token. Limited per address before its body is read, slowed per account after failures (see `SignInGuard`), one password check whatever was wrong. */
export function loginRoute(app: ModuleRouter, { ctx, tokens, guard }: AuthRouteDeps): void {
  app.post(
    '/login',
    {
      schema: {
        summary: 'Sign in',
        description:
          'Does not honour `Idempotency-Key`: a sign-in changes no data, so sending it again is safe and simply signs in again (a new token); keeping its answer under a key would keep a token. It needs the database and is never journaled: while the database is down it answers 503.',
        tags: ['auth'],
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse },
      },
      // A sign-in is a few hundred bytes: a stranger's megabyte is refused before it is parsed.
      bodyLimit: LOGIN_BODY_LIMIT_BYTES,
      config: {
        public: true,
        errors: [AuthError.INVALID_CREDENTIALS, AuthError.RATE_LIMITED],
        // Counted per IP as the request arrives, before its body is read, whatever email it names.
        rateLimit: {
          hook: 'onRequest',
          max: SIGN_IN_LIMIT_PER_IP_PER_MINUTE,
          timeWindow: 60_000,
          keyGenerator: (request) => `sign-in|${request.ip}`,
          errorResponseBuilder: (_request, context) =>
            new AppError(AuthError.RATE_LIMITED, 429, text('auth.tooManyAttempts', { seconds: Math.ceil(context.ttl / 1000) }), {
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
        throw new AppError(ErrorCode.DATABASE_UNAVAILABLE, 503, text('auth.signInNeedsDatabase'), {
          retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
          cause: error,
        });
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
}
