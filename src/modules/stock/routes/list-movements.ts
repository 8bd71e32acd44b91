import { principalOf } from '../../../shared/principal.js';
import { PageOf } from '../../../shared/schemas.js';
import { listMovements } from '../stock.queries.js';
import { ListMovementsQuery, MovementSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /movements`: the tenant's movements, newest first, a page at a time. */
export function listMovementsRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/movements',
    {
      schema: {
        summary: 'List movements, newest first',
        tags: ['stock'],
        querystring: ListMovementsQuery,
        response: { 200: PageOf(MovementSchema) },
      },
    },
    async (request) => listMovements(ctx.db, principalOf(request).tenantId, request.query),
  );
}
