import type { ModuleContext, ModuleRouter } from '../module.js';
import { balanceRoute } from './routes/balance.js';
import { belowMinimumRoute } from './routes/below-minimum.js';
import { expiringRoute } from './routes/expiring.js';
import { getLotRoute } from './routes/get-lot.js';
import { listLotsRoute } from './routes/list-lots.js';
import { listMovementsRoute } from './routes/list-movements.js';
import { moveStockRoute } from './routes/move-stock.js';
import { receiveLotRoute } from './routes/receive-lot.js';
import { useLotRoute } from './routes/use-lot.js';

/** Routes of the stock module, one file each (`routes/`), in the order `/docs` lists them. */
const ROUTES: ReadonlyArray<(app: ModuleRouter, ctx: ModuleContext) => void> = [
  listLotsRoute,
  getLotRoute,
  receiveLotRoute,
  listMovementsRoute,
  moveStockRoute,
  useLotRoute,
  balanceRoute,
  belowMinimumRoute,
  expiringRoute,
];

/** Routes of the stock module: schemas and handlers only; writes are commands. */
export async function stockRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  for (const route of ROUTES) route(app, ctx);
}
