import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { text } from '../../shared/i18n/translate.js';

/** Stable error codes of the receipts module. */
export const ReceiptError = defineErrors('receipts', {
  NOT_FOUND: { code: 'ERR_RECEIPT_NOT_FOUND', status: 404 },
});

/** No receipt with this id for the caller's tenant (another tenant's looks the same). */
export function receiptNotFound(id: string): AppError {
  return new AppError(ReceiptError.NOT_FOUND, 404, text('receipts.notFound', { id }));
}
