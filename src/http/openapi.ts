import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { packageInfo } from '../config/package-info.js';

/**
 * Serves the OpenAPI document built from the routes' own TypeBox schemas at `/docs/json`, and a
 * browsable page at `/docs`. Register before the routes it should describe.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'robusto',
        version: packageInfo().version,
        description: 'Every error is application/problem+json (RFC 9457) with a stable `code`. Writes accept `Idempotency-Key`.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearerAuth: [] }],
    },
    // Health, metrics and the docs themselves are operational, not part of the API.
    hideUntagged: true,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
