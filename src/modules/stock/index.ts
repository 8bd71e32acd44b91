import { moveStock, receiveLot, useLot } from './stock.commands.js';
import { BEFORE_PRODUCT_DELETE } from '../products/index.js';
import { defineModule } from '../module.js';
import { releaseProductLots } from './stock.commands.js';
import { expireLotsJob } from './stock.jobs.js';
import { stockMigrations } from './stock.migrations.js';
import { stockRoutes } from './stock.routes.js';

export { findLot } from './stock.queries.js';
export type { StockTables } from './stock.queries.js';
export type { Lot, Movement, MovementType } from './stock.schemas.js';

/**
 * The stock module (`/api/stock`): lots of products with a QR code and an expiry date, every
 * change a movement written in the same transaction as the balance, quantities in exact
 * milli-units that never go below zero, even under concurrent use; balance, below-minimum and
 * expiring views; a daily job writes off lots past their date. Uses products through its index only.
 */
export default defineModule({
  name: 'stock',
  description: 'Lots with expiry dates and their movements; a balance never goes below zero.',
  commands: [moveStock, receiveLot, useLot],
  migrations: stockMigrations,
  routes: stockRoutes,
  jobs: [expireLotsJob],
  // Only once the stock tables exist may products' delete consult them.
  onReady: async (ctx) => ctx.hooks.on(BEFORE_PRODUCT_DELETE, releaseProductLots),
});
