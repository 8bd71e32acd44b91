import type { Transaction } from 'kysely';
import { hookPoint } from '../../shared/hooks.js';

/**
 * Runs inside the transaction that deletes a product, before the product row goes: a hook throws
 * an `AppError` to refuse the delete, or removes the rows that refer to the product. A module
 * referring to products (stock) adds its hook once its own tables exist (in its `onReady`).
 *
 * @example
 * onReady: async (ctx) => ctx.hooks.on(BEFORE_PRODUCT_DELETE, async (tx, tenantId, productId) => {
 *   if (await hasOpenOrders(tx, tenantId, productId)) throw orderOpen(productId);
 * }),
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
export const BEFORE_PRODUCT_DELETE = hookPoint<[tx: Transaction<any>, tenantId: string, productId: string]>('products.before-delete');
