import { principalOf } from '../../shared/principal.js';
import { IdParams, PageOf, problemResponses } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { createProduct, deleteProduct, updateProduct } from './products.commands.js';
import { productNotFound } from './products.errors.js';
import { findProduct, listProducts } from './products.queries.js';
import { CreateProductBody, ListProductsQuery, ProductSchema, UpdateProductBody } from './products.schemas.js';

const tags = ['products'];

/** Routes of the products module: schemas and handlers only; writes are commands. */
export async function productsRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  app.get(
    '/',
    {
      schema: {
        summary: 'List and search products',
        tags,
        querystring: ListProductsQuery,
        response: { 200: PageOf(ProductSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => listProducts(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.get(
    '/:id',
    { schema: { summary: 'One product', tags, params: IdParams, response: { 200: ProductSchema, ...problemResponses(400, 401, 404, 503) } } },
    async (request) => {
      const product = await findProduct(ctx.db, principalOf(request).tenantId, request.params.id);
      if (!product) throw productNotFound(request.params.id);
      return product;
    },
  );

  app.post(
    '/',
    {
      schema: {
        summary: 'Create a product',
        tags,
        body: CreateProductBody,
        response: { 201: ProductSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, createProduct, request.body),
  );

  app.patch(
    '/:id',
    {
      schema: {
        summary: 'Update a product (send the version you read)',
        tags,
        params: IdParams,
        body: UpdateProductBody,
        response: { 200: ProductSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, updateProduct, { ...request.body, id: request.params.id }),
  );

  app.delete(
    '/:id',
    {
      schema: {
        summary: 'Delete a product (refused while it has stock)',
        tags,
        params: IdParams,
        response: { 200: ProductSchema, ...problemResponses(400, 401, 403, 404, 409, 503) },
      },
      config: { permission: 'delete' },
    },
    async (request, reply) => ctx.execute(request, reply, deleteProduct, { id: request.params.id }),
  );
}
