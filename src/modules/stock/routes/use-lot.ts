import { useLot } from '../stock.commands.js';
import { MovedSchema, UseBody } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { StockError } from '../stock.errors.js';

/** `POST /use`: uses some of a lot whose QR code was scanned, an "out" movement (a command). */
export function useLotRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/use',
    {
      schema: {
        summary: 'Use some of a lot whose QR code was scanned (an "out" movement)',
        tags: ['stock'],
        body: UseBody,
        response: { 201: MovedSchema },
      },
      config: { permission: 'write', errors: [StockError.LOT_NOT_FOUND, StockError.LOT_EXPIRED, StockError.INSUFFICIENT] },
    },
    async (request, reply) => ctx.execute(request, reply, useLot, request.body),
  );
}
