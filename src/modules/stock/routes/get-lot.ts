import { principalOf } from '../../../shared/principal.js';
import { IdParams } from '../../../shared/schemas.js';
import { lotNotFound } from '../stock.errors.js';
import { findLot } from '../stock.queries.js';
import { LotSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /lots/:id`: one lot of the tenant. */
export function getLotRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get('/lots/:id', { schema: { summary: 'One lot', tags: ['stock'], params: IdParams, response: { 200: LotSchema } } }, async (request) => {
    const lot = await findLot(ctx.db, principalOf(request).tenantId, request.params.id);
    if (!lot) throw lotNotFound({ id: request.params.id });
    return lot;
  });
}
