import { principalOf } from '../../shared/principal.js';
import { IdParams, PageOf, problemResponses } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { moveStock, receiveLot, useLot } from './stock.commands.js';
import { lotNotFound } from './stock.errors.js';
import { belowMinimum, expiringLots, findLot, listLots, listMovements, stockBalance } from './stock.queries.js';
import {
  BalanceQuery,
  BalanceSchema,
  BelowMinimumQuery,
  BelowMinimumSchema,
  CreateLotBody,
  ExpiringQuery,
  ExpiringSchema,
  ListLotsQuery,
  ListMovementsQuery,
  LotSchema,
  MovedSchema,
  MovementBody,
  MovementSchema,
  UseBody,
} from './stock.schemas.js';

const tags = ['stock'];

/** Routes of the stock module: schemas and handlers only; writes are commands. */
export async function stockRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  app.get(
    '/lots',
    {
      schema: {
        summary: 'List lots, oldest first',
        tags,
        querystring: ListLotsQuery,
        response: { 200: PageOf(LotSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => listLots(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.get(
    '/lots/:id',
    { schema: { summary: 'One lot', tags, params: IdParams, response: { 200: LotSchema, ...problemResponses(400, 401, 404, 503) } } },
    async (request) => {
      const lot = await findLot(ctx.db, principalOf(request).tenantId, request.params.id);
      if (!lot) throw lotNotFound({ id: request.params.id });
      return lot;
    },
  );

  app.post(
    '/lots',
    {
      schema: {
        summary: 'Receive goods as a new lot (writes an "in" movement)',
        tags,
        body: CreateLotBody,
        response: { 201: LotSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, receiveLot, request.body),
  );

  app.get(
    '/movements',
    {
      schema: {
        summary: 'List movements, newest first',
        tags,
        querystring: ListMovementsQuery,
        response: { 200: PageOf(MovementSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => listMovements(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.post(
    '/movements',
    {
      schema: {
        summary: 'Move stock of a lot: in, out, adjust (to a counted quantity) or expire',
        tags,
        body: MovementBody,
        response: { 201: MovedSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, moveStock, request.body),
  );

  app.post(
    '/use',
    {
      schema: {
        summary: 'Use some of a lot whose QR code was scanned (an "out" movement)',
        tags,
        body: UseBody,
        response: { 201: MovedSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, useLot, request.body),
  );

  app.get(
    '/balance',
    {
      schema: {
        summary: 'Stock per product, with its lots',
        tags,
        querystring: BalanceQuery,
        response: { 200: PageOf(BalanceSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => stockBalance(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.get(
    '/below-minimum',
    {
      schema: {
        summary: 'Active products whose stock is under their minimum',
        tags,
        querystring: BelowMinimumQuery,
        response: { 200: PageOf(BelowMinimumSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => belowMinimum(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.get(
    '/expiring',
    {
      schema: {
        summary: 'Lots with stock expiring within `days` days (UTC), soonest first',
        tags,
        querystring: ExpiringQuery,
        response: { 200: PageOf(ExpiringSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => expiringLots(ctx.db, principalOf(request).tenantId, request.query),
  );
}
