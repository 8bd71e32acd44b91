import { AppError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { ErrorCode } from '../../shared/error-codes.js';

/** Stable error codes of the customers module. */
export const CustomerError = defineErrors('customers', {
  NOT_FOUND: { code: 'ERR_CUSTOMER_NOT_FOUND', status: 404, meaning: "No customer with this id in the caller's tenant." },
  DOCUMENT_TAKEN: { code: 'ERR_CUSTOMER_DOCUMENT_TAKEN', status: 409, meaning: 'Another customer of the tenant already has this CPF/CNPJ.' },
  VERSION_CONFLICT: {
    code: 'ERR_CUSTOMER_VERSION_CONFLICT',
    status: 409,
    meaning: 'The customer changed since the client read it (`currentVersion` says its version now): reload, reapply the change, send the new version.',
  },
});

/** No customer with this id in the caller's tenant (another tenant's id looks the same). */
export function customerNotFound(id: string): AppError {
  return new AppError(CustomerError.NOT_FOUND, 404, `No customer with id ${id}.`);
}

/** Another customer of the tenant already has this CPF/CNPJ. */
export function documentTaken(): AppError {
  return new AppError(CustomerError.DOCUMENT_TAKEN, 409, 'Another customer already has this CPF/CNPJ; search for it instead of creating a duplicate.');
}

/** The client edited an old version. */
export function versionConflict(sent: number, current: number): AppError {
  return new AppError(
    CustomerError.VERSION_CONFLICT,
    409,
    `The customer changed since you read it (you sent version ${sent}, it is now ${current}); reload it, reapply your change and send the new version.`,
    {
      extensions: { currentVersion: current },
    },
  );
}

/** The document does not match the kind (CPF for a person, CNPJ for a company) or its check digits. */
export function invalidDocument(kind: 'person' | 'company'): AppError {
  const expected = kind === 'person' ? 'a valid CPF (11 digits)' : 'a valid CNPJ (14 digits)';
  return new AppError(ErrorCode.VALIDATION, 400, `The document must be ${expected} for a ${kind}.`, {
    errors: [{ in: 'body', field: '/document', message: `must be ${expected}` }],
  });
}
