import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';

/** Stable error codes of the receipts module. */
export const ReceiptError = defineErrors('receipts', {
  NOT_FOUND: {
    code: 'ERR_RECEIPT_NOT_FOUND',
    status: 404,
    meaning: "No receipt with this id for the caller's tenant; receipts are kept until their write is applied and pruned.",
  },
});

/** No receipt with this id for the caller's tenant (another tenant's looks the same). */
export function receiptNotFound(id: string): AppError {
  return new AppError(ReceiptError.NOT_FOUND, 404, `No receipt ${id}. Receipts are kept until their write is applied and pruned.`);
}
