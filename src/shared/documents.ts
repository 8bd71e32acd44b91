/**
 * Brazilian taxpayer documents: CPF (people, 11 digits) and CNPJ (companies, 14 digits).
 * Pure functions, no I/O: validation by check digits, formatting, and masking inside free text.
 */

const CPF_LENGTH = 11;
const CNPJ_LENGTH = 14;

/** Keeps only the digits of a document typed with or without punctuation. */
export function onlyDigits(value: string): string {
  return value.replace(/\D/g, '');
}

function allSameDigit(digits: string): boolean {
  return /^(\d)\1*$/.test(digits);
}

function checkDigit(digits: string, weights: number[]): number {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += Number(digits[i]) * (weights[i] as number);
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

/**
 * Tells whether a CPF is valid: 11 digits (punctuation allowed), not all the same digit, and
 * both check digits right.
 *
 * @example isValidCpf('529.982.247-25') // true
 */
export function isValidCpf(value: string): boolean {
  const digits = onlyDigits(value);
  if (digits.length !== CPF_LENGTH || allSameDigit(digits)) return false;
  const first = checkDigit(digits, [10, 9, 8, 7, 6, 5, 4, 3, 2]);
  const second = checkDigit(digits, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
  return first === Number(digits[9]) && second === Number(digits[10]);
}

/**
 * Tells whether a CNPJ is valid: 14 digits (punctuation allowed), not all the same digit, and
 * both check digits right.
 *
 * @example isValidCnpj('11.222.333/0001-81') // true
 */
export function isValidCnpj(value: string): boolean {
  const digits = onlyDigits(value);
  if (digits.length !== CNPJ_LENGTH || allSameDigit(digits)) return false;
  const first = checkDigit(digits, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const second = checkDigit(digits, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return first === Number(digits[12]) && second === Number(digits[13]);
}

/**
 * The CPF whose first 9 digits are `base`, with its two check digits computed, formatted: for
 * examples and test data that must pass {@link isValidCpf}.
 *
 * @example cpfFromBase('529982247') // '529.982.247-25'
 */
export function cpfFromBase(base: string): string {
  const first = checkDigit(base, [10, 9, 8, 7, 6, 5, 4, 3, 2]);
  const second = checkDigit(`${base}${first}`, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
  return formatCpf(`${base}${first}${second}`);
}

/**
 * The CNPJ whose first 12 digits are `base`, with its two check digits computed, formatted.
 *
 * @example cnpjFromBase('112223330001') // '11.222.333/0001-81'
 */
export function cnpjFromBase(base: string): string {
  const first = checkDigit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  const second = checkDigit(`${base}${first}`, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
  return formatCnpj(`${base}${first}${second}`);
}

/** Formats 11 CPF digits as `000.000.000-00`; other input is returned unchanged. */
export function formatCpf(value: string): string {
  const d = onlyDigits(value);
  return d.length === CPF_LENGTH ? `${d.slice(0, 3)}.${d.slice(3, 6)}.${d.slice(6, 9)}-${d.slice(9)}` : value;
}

/** Formats 14 CNPJ digits as `00.000.000/0000-00`; other input is returned unchanged. */
export function formatCnpj(value: string): string {
  const d = onlyDigits(value);
  return d.length === CNPJ_LENGTH ? `${d.slice(0, 2)}.${d.slice(2, 5)}.${d.slice(5, 8)}/${d.slice(8, 12)}-${d.slice(12)}` : value;
}

// Formatted documents, then bare runs of exactly 11 or 14 digits not touching other digits nor
// being the fraction of a decimal number (`8.12345678901234`).
// NB: bare runs are masked whether or not their check digits hold: a mistyped CPF is still a
// person's number, and a phone number masked by accident costs nothing.
const DOCUMENT_PATTERN = /\d{2}\.\d{3}\.\d{3}\/\d{4}-\d{2}|\d{3}\.\d{3}\.\d{3}-\d{2}|(?<!\d)(?<!\d\.)(?:\d{14}|\d{11})(?!\d)(?!\.\d)/g;

/** The text a masked document is replaced with. */
export const DOCUMENT_MASK = '[DOCUMENT]';

/**
 * Replaces every CPF or CNPJ inside free text (formatted or as bare digits) with
 * {@link DOCUMENT_MASK}, for logs and error messages.
 */
export function maskDocuments(text: string): string {
  return text.replace(DOCUMENT_PATTERN, DOCUMENT_MASK);
}

// Runs of 11 to 14 digits, each digit possibly separated from the next by dots, dashes, slashes
// or spaces: a CPF or CNPJ however it was typed ("529 982 247 25", "529-982-247-25").
const SEPARATED_DIGITS = /(?<!\d)\d(?:[\s./-]*\d){10,13}(?!\d)/g;

/**
 * {@link maskDocuments} for text a person typed in any way (a search term): also masks 11 or 14
 * digits written with any mix of dots, dashes, slashes and spaces between them.
 */
export function maskDocumentsLoosely(text: string): string {
  return maskDocuments(text).replace(SEPARATED_DIGITS, (run) => {
    const digits = run.replace(/\D/g, '').length;
    return digits === CPF_LENGTH || digits === CNPJ_LENGTH ? DOCUMENT_MASK : run;
  });
}
