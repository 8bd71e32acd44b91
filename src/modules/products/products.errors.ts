import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';

/** Stable error codes of the products module. */
export const ProductError = defineErrors('products', {
  NOT_FOUND: { code: 'ERR_PRODUCT_NOT_FOUND', status: 404, meaning: "No product with this id in the caller's tenant." },
  SKU_TAKEN: { code: 'ERR_PRODUCT_SKU_TAKEN', status: 409, meaning: 'Another product of the tenant already has this SKU.' },
  VERSION_CONFLICT: {
    code: 'ERR_PRODUCT_VERSION_CONFLICT',
    status: 409,
    meaning: 'The product changed since the client read it (`currentVersion` says its version now): reload, reapply the change, send the new version.',
  },
  HAS_STOCK: {
    code: 'ERR_PRODUCT_HAS_STOCK',
    status: 409,
    meaning: 'The product still has stock in its lots: use it up, expire or adjust the lots to 0, or deactivate the product instead of deleting it.',
  },
});

/** No product with this id in the caller's tenant (another tenant's id looks the same). */
export function productNotFound(id: string): AppError {
  return new AppError(ProductError.NOT_FOUND, 404, `No product with id ${id}.`);
}

/** Another product of the tenant already has this SKU. */
export function skuTaken(): AppError {
  return new AppError(ProductError.SKU_TAKEN, 409, 'Another product already has this SKU; pick another SKU or edit that product instead.');
}

/** The client edited an old version. */
export function versionConflict(sent: number, current: number): AppError {
  return new AppError(
    ProductError.VERSION_CONFLICT,
    409,
    `The product changed since you read it (you sent version ${sent}, it is now ${current}); reload it, reapply your change and send the new version.`,
    {
      extensions: { currentVersion: current },
    },
  );
}

/**
 * The product still has stock, so deleting it would lose track of real goods.
 *
 * @param quantity - the stock left, in the product's units (sent as the `quantity` extension).
 */
export function productHasStock(id: string, quantity: number): AppError {
  return new AppError(
    ProductError.HAS_STOCK,
    409,
    `Product ${id} still has ${quantity} in stock; use it up, expire or adjust its lots to 0, or deactivate the product instead.`,
    {
      extensions: { quantity },
    },
  );
}
