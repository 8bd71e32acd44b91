import { principalOf } from '../../../shared/principal.js';
import { PageOf } from '../../../shared/schemas.js';
import { listProducts } from '../products.queries.js';
import { ListProductsQuery, ProductSchema } from '../products.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /`: the tenant's products, searched and a page at a time. */
export function listProductsRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/',
    {
      schema: {
        summary: 'List and search products',
        tags: ['products'],
        querystring: ListProductsQuery,
        response: { 200: PageOf(ProductSchema) },
      },
    },
    async (request) => listProducts(ctx.db, principalOf(request).tenantId, request.query),
  );
}
