import { principalOf } from '../../../shared/principal.js';
import { PageOf } from '../../../shared/schemas.js';
import { belowMinimum } from '../stock.queries.js';
import { BelowMinimumQuery, BelowMinimumSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /below-minimum`: active products whose stock is under their minimum. */
export function belowMinimumRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/below-minimum',
    {
      schema: {
        summary: 'Active products whose stock is under their minimum',
        tags: ['stock'],
        querystring: BelowMinimumQuery,
        response: { 200: PageOf(BelowMinimumSchema) },
      },
    },
    async (request) => belowMinimum(ctx.db, principalOf(request).tenantId, request.query),
  );
}
