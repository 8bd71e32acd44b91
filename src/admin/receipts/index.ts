import { defineModule } from '../../modules/module.js';
import { receiptsRoutes } from './receipts.routes.js';

/**
 * The receipts module (`/api/receipts/:id`): a write answered 202 was accepted into the local
 * journal; its receipt says whether it is still queued, applied (with the result it would have
 * had) or dead (with the problem), within the caller's tenant.
 */
export default defineModule({
  name: 'receipts',
  routes: receiptsRoutes,
});
