import type { Transaction } from 'kysely';

/**
 * Runs inside the transaction that deletes a product, before the product row goes: throw an
 * `AppError` to refuse the delete, or remove the rows that refer to the product.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProductDeleteHook = (tx: Transaction<any>, tenantId: string, productId: string) => Promise<void>;

const deleteHooks = new Set<ProductDeleteHook>();

/**
 * Registers a hook run before every product delete, so that a module referring to products
 * (stock) can guard them without products knowing about it. Registering the same function again
 * does nothing.
 *
 * NB: hooks are per process, not per app: a module registers its hook once its tables exist
 * (in its `onReady`), and the hook must not assume more than that.
 *
 * @example
 * beforeProductDelete(async (tx, tenantId, productId) => {
 *   if (await hasOpenOrders(tx, tenantId, productId)) throw new AppError('ERR_ORDER_OPEN', 409, '…');
 * });
 */
export function beforeProductDelete(hook: ProductDeleteHook): void {
  deleteHooks.add(hook);
}

/** Runs every registered {@link ProductDeleteHook}, in registration order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function runProductDeleteHooks(tx: Transaction<any>, tenantId: string, productId: string): Promise<void> {
  for (const hook of deleteHooks) await hook(tx, tenantId, productId);
}
