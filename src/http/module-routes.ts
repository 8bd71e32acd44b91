import type { FastifyBaseLogger, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { BUILTIN_ORIGIN, type ModuleContext, type ModuleRouter } from '../modules/module.js';
import type { LoadedModule, ModuleRegistry } from '../modules/module-registry.js';
import { AppError } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import { routeErrorEntry } from '../shared/error-registry.js';
import { createHttpServer } from './create-server.js';
import { sendProblem } from './problem.js';
import { CHEAP_REQUEST_CONTEXT, enterRequestContext } from './request-context.js';
import { text } from '../shared/i18n/translate.js';

/** Seconds a client is told to wait for a module that waits for its migrations. */
export const MODULE_PENDING_RETRY_AFTER_SECONDS = 5;

/** The 503 a request to an unavailable module gets: why it is down, and what to do. */
export function moduleUnavailable(module: LoadedModule): AppError {
  if (module.status === 'pending') {
    return new AppError(ErrorCode.MODULE_UNAVAILABLE, 503, text('http.modulePending', { module: module.name }), {
      retryAfterSeconds: MODULE_PENDING_RETRY_AFTER_SECONDS,
      extensions: { module: module.name },
    });
  }
  return new AppError(ErrorCode.MODULE_UNAVAILABLE, 503, text('http.moduleFailed', { module: module.name, stage: module.stage ?? 'load' }), {
    extensions: { module: module.name },
  });
}

/** True for a request a module can take before its migrations ran: a write (journaled) or a route that reads only the journal. */
function takesWithoutDatabase(request: FastifyRequest): boolean {
  return (request.method !== 'GET' && request.method !== 'HEAD') || request.routeOptions.config?.withoutDatabase === true;
}

/** The 503 a read gets while its module waits for the database to apply its migrations. */
function databaseNotYetAvailable(): AppError {
  return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 503, text('http.databaseNotYetAvailable'), {
    retryAfterSeconds: MODULE_PENDING_RETRY_AFTER_SECONDS,
  });
}

/**
 * Tells each route of `module` which module it belongs to, and whether its write goes through
 * the write path: every write of a module with commands does (`ctx.execute`), but for public
 * routes (sign-in) and those that answer without the database (the console's own writes to the
 * journal). A route that sets `writePath` itself keeps its own answer. The OpenAPI document reads
 * both (tags, operation ids, 202 and `Idempotency-Key`). A route whose `config.errors` names a
 * code nobody registered fails its module's registration, instead of a document that lies.
 */
function markRoutesOf(scope: ModuleRouter, module: LoadedModule): void {
  const hasCommands = (module.definition?.commands?.length ?? 0) > 0;
  const owner = { name: module.name, prefix: module.prefix, description: module.definition?.description };
  scope.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ??= {});
    config.module = owner;
    const unknown = (config.errors ?? []).filter((spec) => routeErrorEntry(spec, module.name) === undefined);
    if (unknown.length > 0) {
      const named = unknown.map((spec) => JSON.stringify(spec)).join(', ');
      throw new Error(`route ${String(route.method)} ${route.url} names in config.errors codes nobody registered, or malformed ones: ${named}`);
    }
    if (config.writePath === undefined) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const writes = methods.some((method) => method !== 'GET' && method !== 'HEAD');
      config.writePath = hasCommands && writes && !config.public && !config.withoutDatabase;
    }
  });
}

async function registersCleanly(module: LoadedModule, ctx: ModuleContext, log: FastifyBaseLogger): Promise<unknown> {
  // A scratch instance catches every way registration can fail, including route schemas that
  // only fail to compile when the app becomes ready, which would otherwise abort the real app.
  const scratch = createHttpServer(log.child({}, { level: 'silent' }));
  try {
    await scratch.register(async (scope: ModuleRouter) => module.definition?.routes?.(scope, ctx), { prefix: module.prefix });
    await scratch.ready();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await scratch.close().catch(() => undefined);
  }
}

/**
 * Registers the routes of every imported module under its prefix, each on its own: a module is
 * first registered on a scratch instance, and only if that works on the real app. A guard on
 * each module's routes answers 503 `ERR_MODULE_UNAVAILABLE` once the module failed, and
 * `ERR_DATABASE_UNAVAILABLE` to reads while it waits for its migrations (writes go on, to the
 * journal). Each request's logger carries the module's name.
 */
export async function registerModules(app: ModuleRouter, registry: ModuleRegistry, contextOf: (module: LoadedModule) => ModuleContext): Promise<void> {
  for (const module of registry.modules) {
    const routes = module.definition?.routes;
    if (module.status === 'failed' || !routes) continue;
    const ctx = contextOf(module);
    const trialError = await registersCleanly(module, ctx, app.log);
    if (trialError) {
      registry.fail(module, 'register', trialError);
      continue;
    }
    await app.register(
      async (scope: ModuleRouter) => {
        // Each request's logger is a child of the module's logger, so it carries the module's name.
        // NB: without options when there are none (Fastify passes `{}`): pino then makes the child
        // without rebuilding its formatters, several microseconds on every request.
        markRoutesOf(scope, module);
        scope.setChildLoggerFactory((_logger, bindings, options) => ctx.log.child(bindings, options && Object.keys(options).length > 0 ? options : undefined));
        // The request context names the request behind an uncaught exception: every module's
        // where it is cheap, else a module robusto does not ship (see enterRequestContext).
        const tracked = CHEAP_REQUEST_CONTEXT || module.origin !== BUILTIN_ORIGIN;
        scope.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
          if (module.status === 'failed') return sendProblem(reply, moduleUnavailable(module));
          // NB: a module waiting for its migrations (the database has not answered since the
          // start) still takes writes, into the journal, and answers from the journal alone;
          // only its reads wait.
          if (module.status === 'pending' && !takesWithoutDatabase(request)) return sendProblem(reply, databaseNotYetAvailable());
          if (tracked) enterRequestContext(request, done);
          else done();
        });
        scope.register(async (inner: ModuleRouter) => routes(inner, ctx));
        // NB: a one-argument listener consumes the error, so it stops here instead of
        // aborting the whole app's start.
        scope.after((error: Error | null) => {
          if (error) registry.fail(module, 'register', error);
        });
      },
      { prefix: module.prefix },
    );
  }
}
