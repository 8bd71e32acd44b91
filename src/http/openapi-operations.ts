import type { FastifySchema, RouteOptions } from 'fastify';
import { titleOfCode, typeOfCode } from '../shared/app-error.js';
import { ErrorCode } from '../shared/error-codes.js';
import { errorEntryOf, registeredErrors, routeErrorEntry, type ErrorEntry } from '../shared/error-registry.js';
import { IdentityError } from '../identity/index.js';
import { WriteError } from '../resilience/write-errors.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { exampleOf } from './openapi-examples.js';

type Schema = Record<string, unknown>;
type Owner = NonNullable<NonNullable<RouteOptions['config']>['module']>;

/** The media type of every successful answer. */
const JSON_TYPE = 'application/json';
/** A request id as robusto makes them, for examples. */
const EXAMPLE_REQUEST_ID = '0190f5e2-8a1b-7c3d-9e4f-5a6b7c8d9e0f';
/** A receipt, for examples. */
const EXAMPLE_RECEIPT = '0190f5e2-9b2c-7d4e-8f5a-6b7c8d9e0f1a';
/** An id in a path, for the examples' `instance`. */
const EXAMPLE_ID = '0190f5e2-7c4a-7b8e-9d3f-2a1b4c5d6e7f';

const REQUEST_ID_HEADER = {
  'X-Request-Id': {
    type: 'string',
    description:
      'The id of this request, the one the log files it under (a problem repeats it as `requestId`); the caller’s own when it sent an acceptable one.',
  },
};
const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { type: 'integer', description: 'Requests this caller may make to this route per minute (absent when rate limits are off).' },
  'X-RateLimit-Remaining': { type: 'integer', description: 'Requests left in the current minute.' },
  'X-RateLimit-Reset': { type: 'integer', description: 'Seconds until the count starts again.' },
};
const RETRY_AFTER_HEADER = { 'Retry-After': { type: 'integer', description: 'Seconds to wait before trying again.' } };
const REPLAYED_HEADER = {
  'Idempotent-Replayed': {
    type: 'string',
    enum: ['true'],
    description: 'Present when this answers a retry with an `Idempotency-Key` already used: the first outcome again, not a second effect.',
  },
};
const LOCATION_HEADER = {
  Location: {
    type: 'string',
    description: 'Where to poll what became of the write: `/api/receipts/{receipt}`.',
    examples: [`/api/receipts/${EXAMPLE_RECEIPT}`],
  },
};

/** The `Idempotency-Key` request header of every write through the write path. */
const IDEMPOTENCY_KEY = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x21-\\x7e]+$',
  description:
    'Makes a retry safe: a write sent again with the same key gets the first outcome again (`Idempotent-Replayed: true`) instead of a second effect; the same key with another request is a 422. 1 to 255 visible ASCII characters, e.g. a UUID.',
  examples: ['5f0c6a4e-3b2d-4c1a-9e8f-7d6c5b4a3f2e'],
};

/** What each problem status means on any route. */
const PROBLEM_MEANINGS: Readonly<Record<number, string>> = {
  400: 'Invalid request: `errors[]` names each field and what is wrong with it',
  401: 'Not signed in, or the token expired or was revoked',
  403: 'Your role lacks the permission this needs (`permission` names it)',
  404: 'Not found (or it belongs to another tenant)',
  409: 'Conflicts with the current state',
  413: 'Body over the size limit',
  415: 'Body is not JSON',
  422: 'Idempotency-Key reused with another request',
  429: 'Too many requests; wait `Retry-After` seconds',
  503: 'Unavailable for now (the database, the module, or the server is busy or stopping); see `Retry-After`',
};

/** Words for successful statuses. */
const SUCCESS_WORDS: Readonly<Record<number, string>> = { 200: 'OK', 201: 'Created', 204: 'Done, nothing to show' };

/** Kernel codes never answered by a route that matched: they are not examples of what it answers. */
const NOT_FROM_A_ROUTE: ReadonlySet<string> = new Set([ErrorCode.ROUTE_NOT_FOUND, ErrorCode.INTERNAL, ErrorCode.BAD_REQUEST]);
/** Codes of journaled writes that only a dead letter shows, never an HTTP answer to the write. */
const DEAD_LETTER_ONLY: ReadonlySet<string> = new Set([WriteError.REPLAY_FAILED, WriteError.REPLAY_FORBIDDEN, WriteError.REPLAY_VERSION_UNKNOWN]);

function methodOf(route: RouteOptions): string {
  return (Array.isArray(route.method) ? route.method[0] : route.method) ?? 'GET';
}

function snakeCase(segment: string): string {
  return segment.replace(/[^A-Za-z0-9]+/g, '_');
}

/**
 * An operation id from the module, the method and the path below the module's prefix: `list`
 * and `get` for reads of a collection and of one item, `create`, `update` and `delete` for
 * writes, the path's last word for an action (`students.deactivate`, `stock.use`).
 */
export function derivedOperationId(owner: Owner, method: string, url: string): string {
  const relative = url.startsWith(owner.prefix) ? url.slice(owner.prefix.length) : url;
  const segments = relative.split('/').filter(Boolean);
  const words = segments.filter((s) => !s.startsWith(':')).map(snakeCase);
  const endsWithParam = segments.at(-1)?.startsWith(':') ?? false;
  switch (method) {
    case 'GET':
      return [owner.name, ...(endsWithParam ? [...words, 'get'] : words.length > 0 ? words : ['list'])].join('.');
    case 'PATCH':
    case 'PUT':
      return [owner.name, ...words, 'update'].join('.');
    case 'DELETE':
      return [owner.name, ...words, 'delete'].join('.');
    default:
      return [owner.name, ...(words.length === 0 ? ['create'] : endsWithParam ? [...words, method.toLowerCase()] : words)].join('.');
  }
}

/** The entries of the codes a route's `config.errors` names. */
function namedErrors(route: RouteOptions): ErrorEntry[] {
  const owner = route.config?.module?.name ?? '';
  return (route.config?.errors ?? []).map((spec) => routeErrorEntry(spec, owner)).filter((entry) => entry !== undefined);
}

/**
 * The problem statuses a route's configuration implies: 429 and 503 on every route; 401 unless it
 * is public; 403 when it needs more than `read`; 400 for a query, parameters or headers; 400,
 * 413 and 415 for any method that takes a body; 404 for a path parameter; for a write through the
 * write path 400 (a malformed `Idempotency-Key`), 409 and 422; and the status of each code
 * `config.errors` names.
 */
function derivedStatuses(schema: FastifySchema, route: RouteOptions, url: string): number[] {
  const config = route.config ?? {};
  const statuses = [429, 503];
  if (!config.public) statuses.push(401);
  if ((config.permission && config.permission !== 'read') || config.installation || config.writePath) statuses.push(403);
  // NB: Fastify reads the body of any method but GET and HEAD, so a route without a body schema
  // still answers one that is not JSON (400, 415) or too large (413).
  if (schema.body || !['GET', 'HEAD'].includes(methodOf(route))) statuses.push(400, 413, 415);
  if (schema.querystring || schema.params || schema.headers) statuses.push(400);
  if (schema.params || url.includes('/:')) statuses.push(404);
  if (config.writePath) statuses.push(400, 409, 422);
  for (const entry of namedErrors(route)) if (entry.status !== undefined) statuses.push(entry.status);
  return statuses;
}

/** True for a code the kernel, identity or the write path answers this route with. */
function answeredByKernel(entry: ErrorEntry, status: number, route: RouteOptions): boolean {
  const config = route.config ?? {};
  const owners = ['kernel', ...(config.public ? [] : ['identity']), ...(config.writePath ? ['writes'] : [])];
  if (!owners.includes(entry.owner) || NOT_FROM_A_ROUTE.has(entry.code) || DEAD_LETTER_ONLY.has(entry.code)) return false;
  if (config.public && status === 401) return false;
  return entry.code !== IdentityError.INSTALLATION_ROLE_REQUIRED || config.installation === true;
}

/**
 * The codes a route answers `status` with: its module's own (those `config.errors` names, or
 * every code of the module when the route names none), then the kernel's. A module that defines
 * no codes at all (a user's, throwing errors with a `statusCode`) answers its own 4xx as
 * `ERR_BAD_REQUEST` with that status. Empty when nothing answers the route with `status`.
 */
function codesFor(status: number, owner: Owner, route: RouteOptions): ErrorEntry[] {
  const named = route.config?.errors ? namedErrors(route) : undefined;
  const all = registeredErrors().filter((e) => e.status === status);
  const own = named ? named.filter((e) => e.status === status) : all.filter((e) => e.owner === owner.name);
  const codes = [...own, ...all.filter((e) => !own.some((o) => o.code === e.code) && answeredByKernel(e, status, route))];
  const definesCodes = registeredErrors().some((e) => e.owner === owner.name);
  const plain = errorEntryOf(ErrorCode.BAD_REQUEST);
  if (codes.length === 0 && !definesCodes && !named && status < 500 && plain) return [plain];
  return codes;
}

function problemExample(entry: ErrorEntry, status: number, instance: string): Schema {
  return {
    type: typeOfCode(entry.code),
    title: titleOfCode(entry.code),
    status,
    detail: entry.meaning || titleOfCode(entry.code),
    instance,
    code: entry.code,
    requestId: EXAMPLE_REQUEST_ID,
    ...(entry.code === ErrorCode.VALIDATION ? { errors: [{ in: 'body', field: '/name', message: 'must NOT have fewer than 1 characters' }] } : {}),
  };
}

function problemResponse(status: number, codes: ErrorEntry[], declared: Schema | undefined, instance: string): Schema {
  const examples = Object.fromEntries(codes.map((entry) => [entry.code, { summary: entry.meaning, value: problemExample(entry, status, instance) }]));
  const retry = status === 429 || status === 503 ? RETRY_AFTER_HEADER : {};
  const rateLimit = status === 429 ? RATE_LIMIT_HEADERS : {};
  return {
    description: (typeof declared?.description === 'string' && declared.description) || PROBLEM_MEANINGS[status] || 'Problem',
    headers: { ...REQUEST_ID_HEADER, ...retry, ...rateLimit },
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem' }, examples } },
  };
}

/** What a success schema holds, in words: `the Student`, `a page of Student`. */
function whatItHolds(schema: Schema | undefined): string | undefined {
  if (!schema) return undefined;
  const name = (schema.$id ?? schema.title) as string | undefined;
  if (name) return `the ${name}`;
  const items = (schema.properties as Record<string, Schema> | undefined)?.items?.items as Schema | undefined;
  const itemName = (items?.$id ?? items?.title) as string | undefined;
  return itemName ? `a page of ${itemName}` : undefined;
}

/** The member that marks a schema to be moved to the document's components (moved by `namedComponents` in openapi.ts). */
export const COMPONENT_MARK = 'x-robusto-component';

/**
 * A copy of `schema` in which every schema with an `$id` (a module's `Student`, `Customer`…)
 * carries {@link COMPONENT_MARK}, so the finished document can name it in its components and
 * refer to it, instead of repeating it inline.
 */
function markComponents(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(markComponents);
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = markComponents(value);
  if (typeof copy.$id === 'string') copy[COMPONENT_MARK] = copy.$id;
  return copy;
}

function successResponse(status: number, declared: Schema | undefined, writePath: boolean): Schema {
  const what = whatItHolds(declared);
  const description =
    (typeof declared?.description === 'string' && declared.description) ||
    `${SUCCESS_WORDS[status] ?? 'Done'}${what ? `: ${what}` : ''}${writePath ? ', applied now' : ''}`;
  const headers = { ...REQUEST_ID_HEADER, ...RATE_LIMIT_HEADERS, ...(writePath ? REPLAYED_HEADER : {}) };
  return { description, headers, ...(declared ? { content: { [JSON_TYPE]: { schema: markComponents(declared) } } } : {}) };
}

const ACCEPTED_RESPONSE = {
  description:
    'Accepted into the local journal (the database is not answering, or earlier writes still wait there): it will be applied exactly once, in order. Poll `Location` until its status is `applied` (with the result this write would have had) or `dead` (with the problem).',
  headers: { ...LOCATION_HEADER, ...REPLAYED_HEADER, ...REQUEST_ID_HEADER, ...RATE_LIMIT_HEADERS },
  content: { [JSON_TYPE]: { schema: { $ref: 'Receipt' }, examples: { queued: { value: { receipt: EXAMPLE_RECEIPT, status: 'queued' } } } } },
};

/** What {@link describeOperation} found out about a module, for the document's tags. */
export interface ModuleTag {
  name: string;
  description: string;
}

/**
 * The transform of one route into its OpenAPI operation, driven by what the kernel knows of the
 * route (its module, `config.public`, `permission`, `installation`, `writePath`, `errors`) and by
 * the error registry: its tag and a stable operation id; every response with a description,
 * `X-Request-Id` and the rate-limit headers; the problems its configuration implies (see
 * `derivedStatuses`) as `application/problem+json` with an example of each code that answers
 * them (see `codesFor`); for a
 * write through the write path, `Idempotency-Key`, `Idempotent-Replayed` and the 202 with its
 * `Receipt` and `Location`; a request body example (the schema's own, or one built from it).
 * Routes of no module (health, metrics, the docs) are left as they are, hidden.
 */
export function describeOperation(
  route: RouteOptions,
  schema: FastifySchema | undefined,
  url: string,
  tags: Map<string, ModuleTag>,
): { schema: FastifySchema; url: string } {
  const owner = route.config?.module;
  const path = url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url;
  if (!owner || (schema as Schema | undefined)?.hide) return { schema: schema ?? {}, url: path };
  const config = route.config ?? {};
  const method = methodOf(route);
  const writePath = config.writePath === true;
  const own = (schema ?? {}) as FastifySchema & Schema;
  tags.set(owner.name, { name: owner.name, description: owner.description ?? `The routes of the ${owner.name} module.` });

  const declared = (own.response ?? {}) as Record<string, Schema>;
  const instance = path.replace(/:[A-Za-z0-9_]+/g, EXAMPLE_ID);
  const responses: Record<string, Schema> = {};
  const successes = Object.keys(declared).filter((status) => Number(status) < 400);
  for (const status of successes.length > 0 ? successes : [method === 'POST' && writePath ? '201' : '200'])
    responses[status] = successResponse(Number(status), declared[status], writePath);
  if (writePath && !responses['202']) responses['202'] = ACCEPTED_RESPONSE;
  const problems = new Set([
    ...Object.keys(declared)
      .filter((s) => Number(s) >= 400)
      .map(Number),
    ...derivedStatuses(own, route, url),
  ]);
  for (const status of [...problems].sort((a, b) => a - b)) {
    const codes = codesFor(status, owner, route);
    if (codes.length > 0) responses[status] = problemResponse(status, codes, declared[status], instance);
  }

  const headers = writePath ? withHeader(own.headers as Schema | undefined, 'Idempotency-Key', IDEMPOTENCY_KEY) : own.headers;
  const body = own.body as Schema | undefined;
  const bodyExample = body ? exampleOf(body) : undefined;
  const description = [
    own.description,
    writePath &&
      'A write: send `Idempotency-Key` so that a retry cannot apply it twice. While the database is down it is answered 202 with a receipt instead of its outcome.',
  ]
    .filter(Boolean)
    .join('\n\n');
  const described: Schema = {
    ...own,
    operationId: own.operationId ?? derivedOperationId(owner, method, route.url ?? url),
    summary: own.summary ?? `${method} ${path}`,
    tags: own.tags ?? [owner.name],
    ...(description ? { description } : {}),
    ...(config.public && own.security === undefined ? { security: [] } : {}),
    ...(headers ? { headers } : {}),
    ...(body
      ? { body: { ...(markComponents(body) as Schema), ...(bodyExample !== undefined && !Array.isArray(body.examples) ? { examples: [bodyExample] } : {}) } }
      : {}),
    response: responses,
  };
  return { schema: described, url: path };
}

function withHeader(headers: Schema | undefined, name: string, header: Schema): Schema {
  const properties = (headers?.properties ?? {}) as Record<string, unknown>;
  return { type: 'object', ...headers, properties: { ...properties, [name]: header } };
}
