import { principalOf } from '../../../shared/principal.js';
import { PageOf } from '../../../shared/schemas.js';
import { expiringLots } from '../stock.queries.js';
import { ExpiringQuery, ExpiringSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /expiring`: lots with stock expiring within `days` days (UTC), soonest first. */
export function expiringRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/expiring',
    {
      schema: {
        summary: 'Lots with stock expiring within `days` days (UTC), soonest first',
        tags: ['stock'],
        querystring: ExpiringQuery,
        response: { 200: PageOf(ExpiringSchema) },
      },
    },
    async (request) => expiringLots(ctx.db, principalOf(request).tenantId, request.query),
  );
}
