import type { ModuleContext, ModuleRouter } from '../module.js';
import { createProductRoute } from './routes/create-product.js';
import { deleteProductRoute } from './routes/delete-product.js';
import { getProductRoute } from './routes/get-product.js';
import { listProductsRoute } from './routes/list-products.js';
import { updateProductRoute } from './routes/update-product.js';

/** Routes of the products module, one file each (`routes/`), in the order `/docs` lists them. */
const ROUTES: ReadonlyArray<(app: ModuleRouter, ctx: ModuleContext) => void> = [
  listProductsRoute,
  getProductRoute,
  createProductRoute,
  updateProductRoute,
  deleteProductRoute,
];

/** Routes of the products module: schemas and handlers only; writes are commands. */
export async function productsRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  for (const route of ROUTES) route(app, ctx);
}
