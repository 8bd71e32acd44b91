import { IdParams } from '../../../shared/schemas.js';
import { updateProduct } from '../products.commands.js';
import { ProductSchema, UpdateProductBody } from '../products.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { ProductError } from '../products.errors.js';

/** `PATCH /:id`: updates a product; the version sent must be the current one (a command). */
export function updateProductRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.patch(
    '/:id',
    {
      schema: {
        summary: 'Update a product (send the version you read)',
        tags: ['products'],
        params: IdParams,
        body: UpdateProductBody,
        response: { 200: ProductSchema },
      },
      config: { permission: 'write', errors: [ProductError.NOT_FOUND, ProductError.SKU_TAKEN, ProductError.VERSION_CONFLICT] },
    },
    async (request, reply) => ctx.execute(request, reply, updateProduct, { ...request.body, id: request.params.id }),
  );
}
