import { AppError, type FieldError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { countedText, text } from '../../shared/i18n/translate.js';

/** Stable error codes of the stock module (an unknown product is products' `ERR_PRODUCT_NOT_FOUND`). */
export const StockError = defineErrors('stock', {
  LOT_NOT_FOUND: { code: 'ERR_STOCK_LOT_NOT_FOUND', status: 404 },
  LOT_CODE_TAKEN: { code: 'ERR_STOCK_LOT_CODE_TAKEN', status: 409 },
  LOT_EXPIRED: { code: 'ERR_STOCK_LOT_EXPIRED', status: 409 },
  INSUFFICIENT: { code: 'ERR_STOCK_INSUFFICIENT', status: 409 },
});

/**
 * No lot with this id or code in the caller's tenant (another tenant's looks the same).
 *
 * @param what - how the lot was asked for: its id or its code.
 */
export function lotNotFound(what: { id: string } | { code: string }): AppError {
  return new AppError(StockError.LOT_NOT_FOUND, 404, 'id' in what ? text('stock.lotNotFoundById', what) : text('stock.lotNotFoundByCode', what));
}

/** Another lot of the tenant already has this code (the QR code must name one lot). */
export function lotCodeTaken(): AppError {
  return new AppError(StockError.LOT_CODE_TAKEN, 409, text('stock.lotCodeTaken'));
}

/** The lot was expired (written off); nothing can move in or out of it any more. */
export function lotExpired(code: string): AppError {
  return new AppError(StockError.LOT_EXPIRED, 409, text('stock.lotExpired', { code }));
}

/**
 * Taking more than the lot holds. `available` and `requested` (in the product's units) are
 * extensions of the problem document, so a client can offer to take what is left.
 */
export function insufficientStock(code: string, available: number, requested: number): AppError {
  return new AppError(StockError.INSUFFICIENT, 409, text('stock.insufficient', { code, available, requested }), {
    extensions: { available, requested },
  });
}

/** A movement whose fields do not fit its type (e.g. `adjust` without `countedQuantity`). */
export function invalidMovement(errors: FieldError[]): AppError {
  return new AppError(ErrorCode.VALIDATION, 400, countedText('stock.invalidMovement', errors.length), { errors });
}
