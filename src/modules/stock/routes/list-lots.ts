import { principalOf } from '../../../shared/principal.js';
import { PageOf } from '../../../shared/schemas.js';
import { listLots } from '../stock.queries.js';
import { ListLotsQuery, LotSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /lots`: the tenant's lots, oldest first, a page at a time. */
export function listLotsRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/lots',
    {
      schema: {
        summary: 'List lots, oldest first',
        tags: ['stock'],
        querystring: ListLotsQuery,
        response: { 200: PageOf(LotSchema) },
      },
    },
    async (request) => listLots(ctx.db, principalOf(request).tenantId, request.query),
  );
}
