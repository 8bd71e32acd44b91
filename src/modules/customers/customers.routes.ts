import { principalOf } from '../../shared/principal.js';
import { IdParams, PageOf } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { createCustomer, deleteCustomer, updateCustomer } from './customers.commands.js';
import { CustomerError, customerNotFound } from './customers.errors.js';
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
        response: { 200: PageOf(CustomerSchema) },
      },
    },
    async (request) => listCustomers(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.get('/:id', { schema: { summary: 'One customer', tags, params: IdParams, response: { 200: CustomerSchema } } }, async (request) => {
    const customer = await findCustomer(ctx.db, principalOf(request).tenantId, request.params.id);
    if (!customer) throw customerNotFound(request.params.id);
    return customer;
  });

  app.post(
    '/',
    {
      schema: {
        summary: 'Create a customer',
        tags,
        body: CreateCustomerBody,
        response: { 201: CustomerSchema },
      },
      config: { permission: 'write', errors: [CustomerError.DOCUMENT_TAKEN] },
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
        response: { 200: CustomerSchema },
      },
      config: { permission: 'write', errors: [CustomerError.NOT_FOUND, CustomerError.DOCUMENT_TAKEN, CustomerError.VERSION_CONFLICT] },
    },
    async (request, reply) => ctx.execute(request, reply, updateCustomer, { ...request.body, id: request.params.id }),
  );

  app.delete(
    '/:id',
    {
      schema: { summary: 'Delete a customer', tags, params: IdParams, response: { 200: CustomerSchema } },
      config: { permission: 'delete', errors: [CustomerError.NOT_FOUND] },
    },
    async (request, reply) => ctx.execute(request, reply, deleteCustomer, { id: request.params.id }),
  );
}
