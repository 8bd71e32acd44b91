import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchema } from 'fastify';
import type { Logger } from '../log/create-logger.js';
import type { ModuleRouter } from '../modules/module.js';
import { CUSTOM_FORMATS, ProblemSchema } from '../shared/schemas.js';
import { requestIdOf } from './request-context.js';

/** Largest request body accepted (1 MiB); larger ones get 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

function createAjv(options: AjvOptions): Ajv {
  const ajv = new Ajv({ removeAdditional: false, allErrors: true, useDefaults: true, ...options });
  addFormats.default(ajv);
  for (const [name, validate] of Object.entries(CUSTOM_FORMATS)) ajv.addFormat(name, { type: 'string', validate });
  return ajv;
}

/**
 * Validators for request parts. A JSON body is validated as sent: `42` is not a string and
 * `null` is not `""`. Query strings, path parameters and headers arrive as text, so there
 * numbers and booleans are converted first (`?limit=20`).
 */
function createValidators(): { body: Ajv; text: Ajv } {
  return { body: createAjv({ coerceTypes: false }), text: createAjv({ coerceTypes: 'array' }) };
}

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
    // Fastify's two lines per request are replaced by one, see registerRequestLogging.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // While draining, requests on kept-alive connections get robusto's own problem+json 503
    // (see registerDrainGuard) instead of Fastify's plain JSON one.
    return503OnClosing: false,
  });
  // The API speaks JSON only: a text/plain body gets 415 like any other non-JSON body.
  app.removeContentTypeParser('text/plain');
  const validators = createValidators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.body : validators.text).compile(schema as FastifySchema & object));
  // Shared by every route's problem responses (`Type.Ref(ProblemSchema)`).
  app.addSchema(ProblemSchema);
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

/** The plain Fastify type of an app from {@link createHttpServer}. */
export type HttpServer = FastifyInstance;
