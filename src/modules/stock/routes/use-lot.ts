import { problemResponses } from '../../../shared/schemas.js';
import { useLot } from '../stock.commands.js';
import { MovedSchema, UseBody } from '../stock.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `POST /use`: uses some of a lot whose QR code was scanned, an "out" movement (a command). */
export function useLotRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/use',
    {
      schema: {
        summary: 'Use some of a lot whose QR code was scanned (an "out" movement)',
        tags: ['stock'],
        body: UseBody,
        response: { 201: MovedSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, useLot, request.body),
  );
}
