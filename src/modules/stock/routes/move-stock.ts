import { moveStock } from '../stock.commands.js';
import { MovedSchema, MovementBody } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { StockError } from '../stock.errors.js';

/** `POST /movements`: moves stock of a lot: in, out, adjust to a counted quantity, or expire (a command). */
export function moveStockRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/movements',
    {
      schema: {
        operationId: moveStock.name,
        summary: 'Move stock of a lot: in, out, adjust (to a counted quantity) or expire',
        tags: ['stock'],
        body: MovementBody,
        response: { 201: MovedSchema },
      },
      config: { permission: 'write', errors: [StockError.LOT_NOT_FOUND, StockError.LOT_EXPIRED, StockError.INSUFFICIENT] },
    },
    async (request, reply) => ctx.execute(request, reply, moveStock, request.body),
  );
}
