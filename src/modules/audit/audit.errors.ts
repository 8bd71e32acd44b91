import { AppError } from '../../shared/app-error.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { text } from '../../shared/i18n/translate.js';

/** `from` is later than `to`: the window holds nothing, which is surely a mistake. */
export function reversedRange(from: string, to: string): AppError {
  return new AppError(ErrorCode.VALIDATION, 400, text('audit.reversedRange', { from, to }), {
    errors: [{ in: 'querystring', field: '/from', message: text('audit.field.afterTo') }],
  });
}

/** A date-time that matches the format but names no instant (a leap second, say). */
export function unknownInstant(field: 'from' | 'to'): AppError {
  return new AppError(ErrorCode.VALIDATION, 400, text('audit.unknownInstant', { field }), {
    errors: [{ in: 'querystring', field: `/${field}`, message: text('audit.field.unknownInstant') }],
  });
}
