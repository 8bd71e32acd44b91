import { Type, type TSchema } from '@sinclair/typebox';
import { isValidCnpj, isValidCpf } from './documents.js';
import type { PlainMessageKey } from './i18n/translate.js';

/** The RFC 9457 problem document every error response uses (extension members allowed). */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String({ description: 'stable code, `ERR_<AREA>_<WHAT>`: clients branch on it', pattern: '^ERR_[A-Z0-9_]+$' }),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ in: Type.Optional(Type.String()), field: Type.String(), message: Type.String() }))),
  },
  { additionalProperties: true, $id: 'Problem', description: 'application/problem+json (RFC 9457)' },
);

/**
 * What a write answers with 202: it is safe in the local journal (the database is down, or
 * earlier writes wait there) and will be applied exactly once, in order; `Location` names the
 * receipt to poll (`GET /api/receipts/{receipt}`).
 */
export const QueuedReceiptSchema = Type.Object(
  {
    receipt: Type.String({ format: 'uuid', maxLength: 36, description: 'the id to poll at /api/receipts/{receipt}' }),
    status: Type.Literal('queued'),
  },
  { $id: 'Receipt', description: 'A write accepted into the journal, to be applied exactly once' },
);

/**
 * A UUID, as ids are. NB: `maxLength` because Ajv's `uuid` format also accepts the `urn:uuid:`
 * form, which PostgreSQL's uuid type refuses (a 500 instead of a 400).
 */
export function Uuid(options: { description?: string } = {}) {
  return Type.String({ format: 'uuid', maxLength: 36, ...options });
}

/** `:id` path parameter: a UUID. */
export const IdParams = Type.Object({ id: Uuid() }, { additionalProperties: false });

/** Largest page size a list accepts. */
export const MAX_PAGE_SIZE = 100;

/** `limit` and `cursor` query parameters of every list. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
};

/** The `sort` query parameter of lists: by name or creation, `-` for descending. */
export function SortQuery(defaultSort: 'name' | '-name' | 'createdAt' | '-createdAt') {
  return Type.Union([Type.Literal('name'), Type.Literal('-name'), Type.Literal('createdAt'), Type.Literal('-createdAt')], { default: defaultSort });
}

/** A list page: the items and where the next page starts (`null` at the end). */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 48;

/** The number the `length` ASCII digits of `text` from `start` make, or -1 if one is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * A calendar date `YYYY-MM-DD` that exists (no 2023-02-30), from 0001-01-01, in the proleptic
 * Gregorian calendar.
 * Plain arithmetic, no RegExp or Date: every write with a date runs it.
 */
export function isRealDate(value: string): boolean {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return false;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  // NB: no year 0000: PostgreSQL has none (1 BC comes before 1 AD) and would refuse it with a 500.
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** The custom string formats robusto's schemas use, for the HTTP validator. */
export const CUSTOM_FORMATS: Record<string, (value: string) => boolean> = {
  cpf: isValidCpf,
  cnpj: isValidCnpj,
  'real-date': isRealDate,
};

/**
 * The message of the catalogues a value failing a format gets, instead of the validator's
 * `must match format "real-date"`: what is wrong and an example of a good value.
 */
export const FORMAT_MESSAGES: Readonly<Record<string, PlainMessageKey>> = {
  'real-date': 'format.real-date',
  date: 'format.date',
  'date-time': 'format.date-time',
  cpf: 'format.cpf',
  cnpj: 'format.cnpj',
  email: 'format.email',
  uuid: 'format.uuid',
};

const LINE_PATTERN = '^(?!\\s*$)[^\\u0000-\\u001f\\u007f]+$';
const TEXT_PATTERN = '^(?!\\s*$)[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]+$';
const PHONE_PATTERN = '^[0-9 +()-]+$';

/** The message of the catalogues a value failing one of the patterns below gets, instead of `must match pattern "^(?!\\s*$)…"`. */
export const PATTERN_MESSAGES: ReadonlyMap<string, PlainMessageKey> = new Map<string, PlainMessageKey>([
  [LINE_PATTERN, 'pattern.line'],
  [TEXT_PATTERN, 'pattern.text'],
  [PHONE_PATTERN, 'pattern.phone'],
]);

/** A CPF, formatted or bare, with valid check digits. */
export const CpfSchema = Type.String({ format: 'cpf', maxLength: 14, description: 'CPF, 000.000.000-00 or 11 digits', examples: ['529.982.247-25'] });
/** A calendar date that exists, `YYYY-MM-DD`. */
export const DateSchema = Type.String({ format: 'real-date', maxLength: 10, description: 'YYYY-MM-DD', examples: ['2026-03-01'] });
/** A line of text of at most `max` characters, such as a name: not blank, no control characters. */
export function Line(max: number) {
  return Type.String({ minLength: 1, maxLength: max, pattern: LINE_PATTERN });
}

/**
 * Free text of at most `max` characters, such as notes or an address: line breaks and tabs
 * allowed; not blank, no other control characters.
 */
export function Text(max: number) {
  return Type.String({ minLength: 1, maxLength: max, pattern: TEXT_PATTERN });
}

/** An email address. */
export const Email = Type.String({ format: 'email', maxLength: 254, examples: ['ana@padaria.com.br'] });

/** A phone number as people write it: digits, spaces, `+`, `(`, `)` and `-`. */
export const Phone = Type.String({ minLength: 8, maxLength: 20, pattern: PHONE_PATTERN, examples: ['(11) 98765-4321'] });
