import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { packageInfo } from '../config/package-info.js';
import { COMPONENT_MARK, describeOperation, type ModuleTag } from './openapi-operations.js';

type Operations = Record<string, Record<string, { operationId?: string } & Record<string, unknown>>>;

/** Words for a method, to tell apart two operations the same id was derived for (`GET /lots`, `POST /lots`). */
const METHOD_WORDS: Readonly<Record<string, string>> = { post: 'create', put: 'replace', patch: 'update', delete: 'delete' };

/**
 * Makes every operation id unique: where two operations got the same one (a list and a create
 * on the same path), the one that is not a read gets its method's word appended.
 */
function uniqueOperationIds(paths: Operations): void {
  const seen = new Map<string, number>();
  const operations = Object.values(paths).flatMap((methods) => Object.entries(methods));
  for (const [, op] of operations) if (op.operationId) seen.set(op.operationId, (seen.get(op.operationId) ?? 0) + 1);
  for (const [method, op] of operations) {
    if (!op.operationId || (seen.get(op.operationId) ?? 0) < 2 || method === 'get') continue;
    op.operationId = `${op.operationId}.${METHOD_WORDS[method] ?? method}`;
  }
}

/**
 * Moves every schema marked with {@link COMPONENT_MARK} to the document's components, under its
 * name, and refers to it there: `#/components/schemas/Student` instead of the same schema
 * repeated in every operation that shows a student.
 */
function namedComponents(node: unknown, components: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((item) => namedComponents(item, components));
  if (typeof node !== 'object' || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (key !== COMPONENT_MARK) copy[key] = namedComponents(value, components);
  const name = (node as Record<string, unknown>)[COMPONENT_MARK];
  if (typeof name !== 'string') return copy;
  components[name] ??= { title: name, ...copy };
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * Serves the OpenAPI document built from the routes' own TypeBox schemas at `/docs/json`, and a
 * browsable page at `/docs`. Register before the routes it should describe.
 *
 * What the schemas do not say is added here for every module's routes alike, a module loaded
 * from `ROBUSTO_MODULES` included (see `describeOperation`): the problems the kernel answers,
 * the headers it sends, the 202 of writes through the write path, operation ids and tags.
 * Shared schemas are named by their `$id` (`Problem`, `Receipt`, `Student`…), paths carry no
 * trailing slash (both forms are served).
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const tags = new Map<string, ModuleTag>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'robusto',
        version: packageInfo().version,
        description:
          'Every error is `application/problem+json` (RFC 9457) with a stable `code` (listed in docs/errors.md). Writes accept `Idempotency-Key`; while the database is down they are answered 202 with a receipt to poll at `/api/receipts/{receipt}`.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'The robusto serving this document' }],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearerAuth: [] }],
    },
    // Health, metrics and the docs themselves are operational, not part of the API.
    hideUntagged: true,
    refResolver: {
      // Components named as the schemas name themselves (`Problem`, `Student`), never `def-0`.
      buildLocalReference: (json, _baseUri, _fragment, i) => [json.$id, json.title].find((name): name is string => typeof name === 'string') ?? `def-${i}`,
    },
    transform: ({ schema, url, route }) => describeOperation(route, schema, url, tags),
    transformObject: (documentObject) => {
      const document = ('openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject) as {
        paths?: Operations;
        tags?: ModuleTag[];
        components?: { schemas?: Record<string, unknown> };
      };
      const schemas = (document.components ??= {}).schemas ?? {};
      document.paths = namedComponents(document.paths ?? {}, schemas) as Operations;
      document.components.schemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
      uniqueOperationIds(document.paths);
      document.tags = [...tags.values()].sort((a, b) => a.name.localeCompare(b.name));
      return document;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
