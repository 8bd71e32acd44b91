import { createProduct, deleteProduct, updateProduct } from './products.commands.js';
import { defineModule } from '../module.js';
import { productsMigrations } from './products.migrations.js';
import { productsRoutes } from './products.routes.js';

export { ProductError, productHasStock, productNotFound } from './products.errors.js';
export { BEFORE_PRODUCT_DELETE } from './products.hooks.js';
export { fromMilli, MAX_QUANTITY, MAX_QUANTITY_DECIMALS, MILLI_PER_UNIT, toMilli, type ToMilliOptions } from './products.quantities.js';
export { findProduct, listProducts, type ProductRow, type ProductsSource, type ProductsTables } from './products.queries.js';
export { PRODUCT_UNITS, type Product, type ProductUnit } from './products.schemas.js';

/**
 * The products module (`/api/products`): what a business stocks, with a SKU unique per tenant,
 * a unit of measure and a minimum stock (exact, in milli-units), search, keyset pagination,
 * optimistic concurrency, and a delete other modules can guard ({@link BEFORE_PRODUCT_DELETE}).
 */
export default defineModule({
  name: 'products',
  description: 'What the business stocks: SKU unique per tenant, unit of measure, minimum stock.',
  commands: [createProduct, deleteProduct, updateProduct],
  migrations: productsMigrations,
  routes: productsRoutes,
});
