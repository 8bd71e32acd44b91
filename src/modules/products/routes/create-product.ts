import { createProduct } from '../products.commands.js';
import { CreateProductBody, ProductSchema } from '../products.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { ProductError } from '../products.errors.js';

/** `POST /`: creates a product (a command). */
export function createProductRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/',
    {
      schema: {
        summary: 'Create a product',
        tags: ['products'],
        body: CreateProductBody,
        response: { 201: ProductSchema },
      },
      config: { permission: 'write', errors: [ProductError.SKU_TAKEN] },
    },
    async (request, reply) => ctx.execute(request, reply, createProduct, request.body),
  );
}
