import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { text } from '../../shared/i18n/translate.js';

/** Stable error codes of the products module. */
export const ProductError = defineErrors('products', {
  NOT_FOUND: { code: 'ERR_PRODUCT_NOT_FOUND', status: 404 },
  SKU_TAKEN: { code: 'ERR_PRODUCT_SKU_TAKEN', status: 409 },
  VERSION_CONFLICT: { code: 'ERR_PRODUCT_VERSION_CONFLICT', status: 409 },
  HAS_STOCK: { code: 'ERR_PRODUCT_HAS_STOCK', status: 409 },
});

/** No product with this id in the caller's tenant (another tenant's id looks the same). */
export function productNotFound(id: string): AppError {
  return new AppError(ProductError.NOT_FOUND, 404, text('products.notFound', { id }));
}

/** Another product of the tenant already has this SKU. */
export function skuTaken(): AppError {
  return new AppError(ProductError.SKU_TAKEN, 409, text('products.skuTaken'));
}

/** The client edited an old version. */
export function versionConflict(sent: number, current: number): AppError {
  return new AppError(ProductError.VERSION_CONFLICT, 409, text('products.versionConflict', { sent, current }), {
    extensions: { currentVersion: current },
  });
}

/**
 * The product still has stock, so deleting it would lose track of real goods.
 *
 * @param quantity - the stock left, in the product's units (sent as the `quantity` extension).
 */
export function productHasStock(id: string, quantity: number): AppError {
  return new AppError(ProductError.HAS_STOCK, 409, text('products.hasStock', { id, quantity }), {
    extensions: { quantity },
  });
}
