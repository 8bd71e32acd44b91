import { AppError } from '../../shared/app-error.js';

/** No receipt with this id for the caller's tenant (another tenant's looks the same). */
export function receiptNotFound(id: string): AppError {
  return new AppError('ERR_RECEIPT_NOT_FOUND', 404, `No receipt ${id}. Receipts are kept until their write is applied and pruned.`);
}
