import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifySchema } from 'fastify';
import type { Logger } from '../log/create-logger.js';
import type { ModuleRouter } from '../modules/module.js';
import { CUSTOM_FORMATS, ProblemSchema, QueuedReceiptSchema } from '../shared/schemas.js';
import { requestIdOf } from './request-context.js';

/** How long the headers of a request may take to arrive, at most (a slow-headers attack is cut sooner than a slow body). */
export const HEADERS_TIMEOUT_MAX_MS = 10_000;
/**
 * How long an idle kept-alive connection stays open: longer than the idle timeouts load
 * balancers commonly use (60 s), so they, not robusto, close idle connections.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/** Open connections at most; more are refused at once instead of exhausting the process. */
export const MAX_CONNECTIONS = 4096;
/** How often the server looks for requests past their time (Node's default, 30 s, would let a 2 s limit run to 30). */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;
/** The whole-request limit of a server made without one (the scratch instance modules are tried on). */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

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

/** What {@link createHttpServer} takes from the configuration. */
export interface HttpServerOptions {
  /** Longest a client may take to send a whole request. */
  requestTimeoutMs?: number;
  /**
   * Reverse proxies (addresses, CIDR ranges) whose `X-Forwarded-For` names the client:
   * `request.ip` is then the client's address, for rate limits and logs. Empty: none.
   */
  trustProxy?: readonly string[];
}

/**
 * Creates a Fastify instance with robusto's settings: the given logger, request ids, body limit,
 * a validator that reports every invalid field and never silently drops unknown ones, and limits
 * against clients that hold connections open for nothing: a whole request (headers and body)
 * must arrive within `requestTimeoutMs` (else 408 and the connection closes), its headers within
 * {@link HEADERS_TIMEOUT_MAX_MS}; idle kept-alive connections close after
 * {@link KEEP_ALIVE_TIMEOUT_MS}; at most {@link MAX_CONNECTIONS} connections at once. A request
 * is known by the address it came from, or by the one its `X-Forwarded-For` names when it came
 * from a trusted proxy.
 *
 * Used for the real app and for the scratch instance a module is first registered on (see
 * `registerModules`), so both judge a module the same way.
 */
export function createHttpServer(log: Logger | FastifyBaseLogger, options: HttpServerOptions = {}): ModuleRouter {
  const { requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, trustProxy = [] } = options;
  const app = Fastify({
    loggerInstance: log,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    http: { headersTimeout: Math.min(HEADERS_TIMEOUT_MAX_MS, requestTimeoutMs), connectionsCheckingInterval: CONNECTIONS_CHECK_INTERVAL_MS },
    genReqId: requestIdOf,
    // Fastify's two lines per request are replaced by one, see registerRequestLogging.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxy.length > 0 ? [...trustProxy] : false,
    // While draining, requests on kept-alive connections get robusto's own problem+json 503
    // (see registerDrainGuard) instead of Fastify's plain JSON one.
    return503OnClosing: false,
  });
  app.server.maxConnections = MAX_CONNECTIONS;
  // The API speaks JSON only: a text/plain body gets 415 like any other non-JSON body.
  app.removeContentTypeParser('text/plain');
  const validators = createValidators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? validators.body : validators.text).compile(schema as FastifySchema & object));
  // The `Problem` of every problem response the OpenAPI document declares, and the `Receipt` of the 202 it
  // gives every write through the write path.
  app.addSchema(ProblemSchema);
  app.addSchema(QueuedReceiptSchema);
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

/** The plain Fastify type of an app from {@link createHttpServer}. */
export type HttpServer = FastifyInstance;
