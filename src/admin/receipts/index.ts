import { defineModule } from '../../modules/module.js';
import { receiptsRoutes } from './receipts.routes.js';
import type { AdminContext } from '../admin-context.js';

/**
 * The receipts module (`/api/receipts/:id`): a write answered 202 was accepted into the local
 * journal; its receipt says whether it is still queued, applied (with the result it would have
 * had) or dead (with the problem), within the caller's tenant.
 */
export default defineModule<AdminContext>({
  name: 'receipts',
  description: 'What became of a write answered 202: queued, applied (with its result) or dead (with the problem).',
  routes: receiptsRoutes,
});
