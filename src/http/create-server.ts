import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../log/create-logger.js';
import type { ModuleRouter } from '../modules/module.js';
import { CUSTOM_FORMATS, ProblemSchema } from '../shared/schemas.js';
import { requestIdOf } from './request-context.js';

/** Largest request body accepted (1 MiB); larger ones get 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Creates a Fastify instance with robusto's settings: the given logger, request ids, body limit,
 * and a validator that reports every invalid field and never silently drops unknown ones.
 *
 * Used for the real app and for the scratch instance a module is first registered on (see
 * `registerModules`), so both judge a module the same way.
 */
export function createHttpServer(log: Logger | FastifyBaseLogger): ModuleRouter {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true, formats: CUSTOM_FORMATS } },
  });
  // Shared by every route's problem responses (`Type.Ref(ProblemSchema)`).
  app.addSchema(ProblemSchema);
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

/** The plain Fastify type of an app from {@link createHttpServer}. */
export type HttpServer = FastifyInstance;
