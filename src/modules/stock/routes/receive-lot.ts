import { problemResponses } from '../../../shared/schemas.js';
import { receiveLot } from '../stock.commands.js';
import { CreateLotBody, LotSchema } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

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
        response: { 201: LotSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, receiveLot, request.body),
  );
}
