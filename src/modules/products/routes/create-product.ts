import { problemResponses } from '../../../shared/schemas.js';
import { createProduct } from '../products.commands.js';
import { CreateProductBody, ProductSchema } from '../products.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `POST /`: creates a product (a command). */
export function createProductRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/',
    {
      schema: {
        summary: 'Create a product',
        tags: ['products'],
        body: CreateProductBody,
        response: { 201: ProductSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, createProduct, request.body),
  );
}
