import { receiveLot } from '../stock.commands.js';
import { CreateLotBody, LotSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { StockError } from '../stock.errors.js';
import { ProductError } from '../../products/index.js';

/** `POST /lots`: receives goods as a new lot, with its "in" movement (a command). */
export function receiveLotRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/lots',
    {
      schema: {
        operationId: receiveLot.name,
        summary: 'Receive goods as a new lot (writes an "in" movement)',
        tags: ['stock'],
        body: CreateLotBody,
        response: { 201: LotSchema },
      },
      config: { permission: 'write', errors: [ProductError.NOT_FOUND, StockError.LOT_CODE_TAKEN] },
    },
    async (request, reply) => ctx.execute(request, reply, receiveLot, request.body),
  );
}
