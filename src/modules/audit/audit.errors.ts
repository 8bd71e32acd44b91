import { AppError } from '../../shared/app-error.js';
import { ErrorCode } from '../../shared/error-codes.js';

/** `from` is later than `to`: the window holds nothing, which is surely a mistake. */
export function reversedRange(from: string, to: string): AppError {
  return new AppError(ErrorCode.VALIDATION, 400, `"from" (${from}) is after "to" (${to}); swap them or widen the window.`, {
    errors: [{ in: 'querystring', field: '/from', message: 'must not be after to' }],
  });
}

/** A date-time that matches the format but names no instant (a leap second, say). */
export function unknownInstant(field: 'from' | 'to'): AppError {
  return new AppError(
    ErrorCode.VALIDATION,
    400,
    `"${field}" is not an instant this server can read; send an ISO 8601 date-time such as 2026-03-01T00:00:00Z.`,
    {
      errors: [{ in: 'querystring', field: `/${field}`, message: 'is not a valid date-time' }],
    },
  );
}
