import { IdParams } from '../../../shared/schemas.js';
import { deleteProduct } from '../products.commands.js';
import { ProductSchema } from '../products.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { ProductError } from '../products.errors.js';

/** `DELETE /:id`: deletes a product, refused while it has stock (a command). */
export function deleteProductRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.delete(
    '/:id',
    {
      schema: {
        summary: 'Delete a product (refused while it has stock)',
        tags: ['products'],
        params: IdParams,
        response: { 200: ProductSchema },
      },
      config: { permission: 'delete', errors: [ProductError.NOT_FOUND, ProductError.HAS_STOCK] },
    },
    async (request, reply) => ctx.execute(request, reply, deleteProduct, { id: request.params.id }),
  );
}
