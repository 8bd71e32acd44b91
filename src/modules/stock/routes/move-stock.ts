import { problemResponses } from '../../../shared/schemas.js';
import { moveStock } from '../stock.commands.js';
import { MovedSchema, MovementBody } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

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
        response: { 201: MovedSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, moveStock, request.body),
  );
}
