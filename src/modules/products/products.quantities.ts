import { AppError } from '../../shared/app-error.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { text, type LocalText } from '../../shared/i18n/translate.js';

/** Milli-units per unit: quantities are stored as whole thousandths so sums are exact on both engines. */
export const MILLI_PER_UNIT = 1000;

/** Largest quantity (in units) a single value in the API may carry. */
export const MAX_QUANTITY = 1_000_000_000;

/** Most decimal places a quantity may have (one milli-unit). */
export const MAX_QUANTITY_DECIMALS = 3;

/** Options of {@link toMilli}. */
export interface ToMilliOptions {
  /** Accept 0 (a minimum stock, a counted quantity); otherwise the value must be above 0. */
  allowZero?: boolean;
}

function invalidQuantity(field: string, message: LocalText): AppError {
  return new AppError(ErrorCode.VALIDATION, 400, text('quantity.invalid', { field: field.slice(1), problem: message }), {
    errors: [{ in: 'body', field, message }],
  });
}

/** Counts the decimal places of a number as the client wrote it (`2.5` → 1, `2.345` → 3). */
function decimalsOf(value: number): number {
  const text = String(value);
  // NB: exponent notation only appears below 1e-6 or above 1e21, both invalid here anyway.
  if (/e/i.test(text)) return Number.POSITIVE_INFINITY;
  return text.split('.')[1]?.length ?? 0;
}

/**
 * Converts a quantity of the API (units, e.g. `2.5` kg) to whole milli-units (`2500`).
 *
 * @param field - the JSON pointer of the body field, named in the error (e.g. `/quantity`).
 * @throws {AppError} 400 `ERR_VALIDATION` listing `field` when the value is not a finite
 *   number, is negative (or zero without `allowZero`), is over {@link MAX_QUANTITY} or has more
 *   than {@link MAX_QUANTITY_DECIMALS} decimals.
 *
 * @example
 * toMilli(2.5, '/quantity'); // 2500
 * toMilli(0.0001, '/quantity'); // throws: at most 3 decimals
 */
export function toMilli(value: number, field: string, options: ToMilliOptions = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidQuantity(field, text('quantity.notANumber'));
  if (options.allowZero ? value < 0 : value <= 0) throw invalidQuantity(field, options.allowZero ? text('quantity.zeroOrMore') : text('quantity.moreThanZero'));
  if (value > MAX_QUANTITY) throw invalidQuantity(field, text('quantity.atMost', { max: MAX_QUANTITY }));
  if (decimalsOf(value) > MAX_QUANTITY_DECIMALS) throw invalidQuantity(field, text('quantity.decimals', { decimals: MAX_QUANTITY_DECIMALS }));
  return Math.round(value * MILLI_PER_UNIT);
}

/** Converts whole milli-units back to the API's units (`2500` → `2.5`). */
export function fromMilli(milli: number): number {
  return milli / MILLI_PER_UNIT;
}
