import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { text } from '../../shared/i18n/translate.js';

/** Stable error codes of the customers module. */
export const CustomerError = defineErrors('customers', {
  NOT_FOUND: { code: 'ERR_CUSTOMER_NOT_FOUND', status: 404 },
  DOCUMENT_TAKEN: { code: 'ERR_CUSTOMER_DOCUMENT_TAKEN', status: 409 },
  VERSION_CONFLICT: { code: 'ERR_CUSTOMER_VERSION_CONFLICT', status: 409 },
});

/** No customer with this id in the caller's tenant (another tenant's id looks the same). */
export function customerNotFound(id: string): AppError {
  return new AppError(CustomerError.NOT_FOUND, 404, text('customers.notFound', { id }));
}

/** Another customer of the tenant already has this CPF/CNPJ. */
export function documentTaken(): AppError {
  return new AppError(CustomerError.DOCUMENT_TAKEN, 409, text('customers.documentTaken'));
}

/** The client edited an old version. */
export function versionConflict(sent: number, current: number): AppError {
  return new AppError(CustomerError.VERSION_CONFLICT, 409, text('customers.versionConflict', { sent, current }), {
    extensions: { currentVersion: current },
  });
}

/** The document does not match the kind (CPF for a person, CNPJ for a company) or its check digits. */
export function invalidDocument(kind: 'person' | 'company'): AppError {
  const person = kind === 'person';
  return new AppError(ErrorCode.VALIDATION, 400, text(person ? 'customers.personDocument' : 'customers.companyDocument'), {
    errors: [{ in: 'body', field: '/document', message: text(person ? 'customers.field.personDocument' : 'customers.field.companyDocument') }],
  });
}
