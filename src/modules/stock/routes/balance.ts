import { principalOf } from '../../../shared/principal.js';
import { PageOf } from '../../../shared/schemas.js';
import { stockBalance } from '../stock.queries.js';
import { BalanceQuery, BalanceSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /balance`: stock per product, with its lots. */
export function balanceRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/balance',
    {
      schema: {
        summary: 'Stock per product, with its lots',
        tags: ['stock'],
        querystring: BalanceQuery,
        response: { 200: PageOf(BalanceSchema) },
      },
    },
    async (request) => stockBalance(ctx.db, principalOf(request).tenantId, request.query),
  );
}
