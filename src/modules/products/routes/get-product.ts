import { principalOf } from '../../../shared/principal.js';
import { IdParams } from '../../../shared/schemas.js';
import { productNotFound } from '../products.errors.js';
import { findProduct } from '../products.queries.js';
import { ProductSchema } from '../products.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /:id`: one product of the tenant. */
export function getProductRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get('/:id', { schema: { summary: 'One product', tags: ['products'], params: IdParams, response: { 200: ProductSchema } } }, async (request) => {
    const product = await findProduct(ctx.db, principalOf(request).tenantId, request.params.id);
    if (!product) throw productNotFound(request.params.id);
    return product;
  });
}
