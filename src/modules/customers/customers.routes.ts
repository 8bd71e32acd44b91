import { principalOf } from '../../shared/principal.js';
import { IdParams, PageOf, problemResponses } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { createCustomer, deleteCustomer, updateCustomer } from './customers.commands.js';
import { customerNotFound } from './customers.errors.js';
import { findCustomer, listCustomers } from './customers.queries.js';
import { CreateCustomerBody, CustomerSchema, ListCustomersQuery, UpdateCustomerBody } from './customers.schemas.js';

const tags = ['customers'];

/** Routes of the customers module: schemas and handlers only; writes are commands. */
export async function customersRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  app.get(
    '/',
    {
      schema: {
        summary: 'List and search customers',
        tags,
        querystring: ListCustomersQuery,
        response: { 200: PageOf(CustomerSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => listCustomers(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.get(
    '/:id',
    { schema: { summary: 'One customer', tags, params: IdParams, response: { 200: CustomerSchema, ...problemResponses(400, 401, 404, 503) } } },
    async (request) => {
      const customer = await findCustomer(ctx.db, principalOf(request).tenantId, request.params.id);
      if (!customer) throw customerNotFound(request.params.id);
      return customer;
    },
  );

  app.post(
    '/',
    {
      schema: {
        summary: 'Create a customer',
        tags,
        body: CreateCustomerBody,
        response: { 201: CustomerSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, createCustomer, request.body),
  );

  app.patch(
    '/:id',
    {
      schema: {
        summary: 'Update a customer (send the version you read)',
        tags,
        params: IdParams,
        body: UpdateCustomerBody,
        response: { 200: CustomerSchema, ...problemResponses(400, 401, 403, 404, 409, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, updateCustomer, { ...request.body, id: request.params.id }),
  );

  app.delete(
    '/:id',
    {
      schema: { summary: 'Delete a customer', tags, params: IdParams, response: { 200: CustomerSchema, ...problemResponses(401, 403, 404, 503) } },
      config: { permission: 'delete' },
    },
    async (request, reply) => ctx.execute(request, reply, deleteCustomer, { id: request.params.id }),
  );
}
