import { AppError, type FieldError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { ErrorCode } from '../../shared/error-codes.js';

/** Stable error codes of the stock module (an unknown product is products' `ERR_PRODUCT_NOT_FOUND`). */
export const StockError = defineErrors('stock', {
  LOT_NOT_FOUND: { code: 'ERR_STOCK_LOT_NOT_FOUND', status: 404, meaning: "No lot with this id or code in the caller's tenant." },
  LOT_CODE_TAKEN: { code: 'ERR_STOCK_LOT_CODE_TAKEN', status: 409, meaning: 'Another lot of the tenant already has this code.' },
  LOT_EXPIRED: { code: 'ERR_STOCK_LOT_EXPIRED', status: 409, meaning: 'The lot was expired and written off: it takes no more movements.' },
  INSUFFICIENT: {
    code: 'ERR_STOCK_INSUFFICIENT',
    status: 409,
    meaning: 'The lot holds less than the movement takes out (`available` says how much it holds).',
  },
});

/**
 * No lot with this id or code in the caller's tenant (another tenant's looks the same).
 *
 * @param what - how the lot was asked for, e.g. `with code L-001`.
 */
export function lotNotFound(what: string): AppError {
  return new AppError(StockError.LOT_NOT_FOUND, 404, `No stock lot ${what}.`);
}

/** Another lot of the tenant already has this code (the QR code must name one lot). */
export function lotCodeTaken(): AppError {
  return new AppError(StockError.LOT_CODE_TAKEN, 409, 'Another lot already has this code; print a new QR code, or add to that lot with an "in" movement.');
}

/** The lot was expired (written off); nothing can move in or out of it any more. */
export function lotExpired(code: string): AppError {
  return new AppError(
    StockError.LOT_EXPIRED,
    409,
    `Lot ${code} was expired and written off; it takes no more movements. Discard the goods or receive them as a new lot.`,
  );
}

/**
 * Taking more than the lot holds. `available` and `requested` (in the product's units) are
 * extensions of the problem document, so a client can offer to take what is left.
 */
export function insufficientStock(code: string, available: number, requested: number): AppError {
  return new AppError(
    StockError.INSUFFICIENT,
    409,
    `Lot ${code} holds ${available}, less than the ${requested} requested; take at most ${available}, or use another lot.`,
    {
      extensions: { available, requested },
    },
  );
}

/** A movement whose fields do not fit its type (e.g. `adjust` without `countedQuantity`). */
export function invalidMovement(errors: FieldError[]): AppError {
  return new AppError(
    ErrorCode.VALIDATION,
    400,
    `The movement has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}; see errors[] for each one.`,
    { errors },
  );
}
