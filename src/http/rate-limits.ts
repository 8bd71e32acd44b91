import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/create-logger.js';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import { text } from '../shared/i18n/translate.js';

/**
 * Requests per minute, per user (per IP before sign-in), for each route; `default` for every
 * other API route: creating customers, products and students 100/min, stock
 * use 200/min, creating users 50/min (sign-in has its own 20/min per IP and email, in the auth
 * module). `RATE_LIMITS` changes any of them.
 */
export const RATE_LIMITS_PER_MINUTE: Readonly<Record<string, number>> = {
  default: 600,
  'POST /api/customers': 100,
  'POST /api/products': 100,
  'POST /api/students': 100,
  'POST /api/stock/use': 200,
  'POST /api/auth/users': 50,
};

/** What is never limited: health checks, metrics and the API's documentation. */
const EXEMPT = /^\/(health|metrics|docs)(\/|$|\?)/;

function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? ''}`;
}

/**
 * Registers `@fastify/rate-limit` for every route: the limit of the route's table entry (or
 * `default`), counted per route and per user, or per IP before sign-in (on public routes, as
 * soon as the request arrives, before its body is read); 429
 * `ERR_RATE_LIMITED` (problem+json, `Retry-After`) past it. Counters live in Redis when
 * `REDIS_URL` is set, so all workers and instances share them, in memory otherwise. A Redis
 * that fails never blocks a request: the request goes through uncounted.
 */
export async function registerRateLimits(app: FastifyInstance, config: Readonly<Config>, log: Logger): Promise<void> {
  if (config.rateLimits === null) {
    // Off: only routes with limits of their own (sign-in) are limited.
    await app.register(rateLimit, { global: false, hook: 'preHandler' });
    return;
  }
  const table = { ...RATE_LIMITS_PER_MINUTE, ...config.rateLimits };
  const perMinute = table.default as number;
  // A public route is counted per IP before anything else runs, its body unread: with no user to
  // count by, nothing a stranger sends is parsed past the limit.
  app.addHook('onRoute', (route) => {
    if (route.config?.public && route.config.rateLimit === undefined && !EXEMPT.test(route.url)) route.config.rateLimit = { hook: 'onRequest' };
  });
  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { connectTimeout: 1_000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    let complained = false;
    redis.on('error', (error: Error) => {
      if (complained) return;
      complained = true;
      log.warn({ err: error }, 'rate-limit counters: Redis unreachable; requests are not counted until it is back');
    });
    redis.on('ready', () => {
      complained = false;
    });
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
  }
  await app.register(rateLimit, {
    global: true,
    // After authentication, so a signed-in user is counted as such, not by IP.
    hook: 'preHandler',
    timeWindow: 60_000,
    max: (request) => table[routeOf(request)] ?? perMinute,
    keyGenerator: (request) => `${routeOf(request)}|${request.principal?.userId ?? request.ip}`,
    allowList: (request) => EXEMPT.test(request.url),
    skipOnError: true,
    ...(redis ? { redis, nameSpace: 'robusto-rate-limit:' } : {}),
    errorResponseBuilder: (request, context) =>
      new AppError(
        ErrorCode.RATE_LIMITED,
        429,
        text('http.rateLimited', { route: routeOf(request), max: context.max, seconds: Math.ceil(context.ttl / 1000) }),
        {
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        },
      ),
  });
}
