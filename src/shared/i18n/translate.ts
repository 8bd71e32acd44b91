import type { Catalogue, MessageKey } from './catalogue.js';
import { en } from './en.js';
import type { Locale } from './locale.js';
import { ptBR } from './pt-BR.js';

const CATALOGUES: Readonly<Record<Locale, Catalogue>> = { en, 'pt-BR': ptBR };

/** The names between braces in a text: `'No user {id} in {tenant}'` → `'id' | 'tenant'`. */
type PlaceholdersOf<S extends string> = S extends `${string}{${infer Name}}${infer Rest}` ? Name | PlaceholdersOf<Rest> : never;

/** The key shared by a pair `<base>.one` / `<base>.other`, chosen by a count. */
type CountedKey = BaseOfCounted<MessageKey>;

type BaseOfCounted<K extends string> = K extends `${infer Base}.one` ? (`${Base}.other` extends MessageKey ? Base : never) : never;

/**
 * A value put into a text: a string as it is, a number or an instant as the reader's language
 * writes it, another text, or a list of texts (joined by `; `).
 */
export type MessageValue = string | number | Date | LocalText | readonly LocalText[];

/** The values a message takes, by placeholder name. */
type MessageParams<K extends MessageKey> = { readonly [P in PlaceholdersOf<(typeof en.messages)[K]>]: MessageValue };

/** The message keys whose text has no placeholder. */
export type PlainMessageKey = { [K in MessageKey]: [PlaceholdersOf<(typeof en.messages)[K]>] extends [never] ? K : never }[MessageKey];

type ParamsArgument<K extends MessageKey> = [PlaceholdersOf<(typeof en.messages)[K]>] extends [never] ? [] : [params: MessageParams<K>];

/**
 * A text to show a person, kept as its key and values so it is written in the reader's language
 * only when it is shown (an API error in the request's `Accept-Language`). Made by {@link text}
 * or {@link countedText}.
 */
export interface LocalText {
  readonly key: string;
  readonly params: Readonly<Record<string, MessageValue>>;
  /** For a counted text: the count that picks `.one` or `.other`. */
  readonly count?: number;
}

/** A text of the catalogues, with its values; see {@link render}. */
export function text<K extends MessageKey>(key: K, ...params: ParamsArgument<K>): LocalText {
  return { key, params: params[0] ?? {} };
}

type CountedParamsArgument<K extends MessageKey> = [Exclude<PlaceholdersOf<(typeof en.messages)[K]>, 'count'>] extends [never]
  ? []
  : [params: { readonly [P in Exclude<PlaceholdersOf<(typeof en.messages)[K]>, 'count'>]: MessageValue }];

/** A text whose wording follows a count (`1 invalid field`, `2 invalid fields`); `{count}` is the count. */
export function countedText<B extends CountedKey>(base: B, count: number, ...params: CountedParamsArgument<`${B}.other` & MessageKey>): LocalText {
  return { key: base, count, params: { ...(params[0] ?? {}), count } };
}

/** Tells whether a value is a {@link LocalText}. */
export function isLocalText(value: unknown): value is LocalText {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && !Array.isArray(value) && typeof (value as LocalText).key === 'string';
}

const numberFormats = new Map<Locale, Intl.NumberFormat>();
const dateFormats = new Map<Locale, Intl.DateTimeFormat>();
const pluralRules = new Map<Locale, Intl.PluralRules>();

function cached<T>(cache: Map<Locale, T>, locale: Locale, make: () => T): T {
  let value = cache.get(locale);
  if (value === undefined) {
    value = make();
    cache.set(locale, value);
  }
  return value;
}

/** A value as `locale` writes it: `1048576` → `1,048,576` in English, `1.048.576` in Portuguese; a date as `15/03/2012 14:30:00`. */
function formatValue(locale: Locale, value: MessageValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number')
    return cached(numberFormats, locale, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 6, useGrouping: 'min2' })).format(value);
  if (value instanceof Date)
    return cached(dateFormats, locale, () => new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' })).format(value);
  if (Array.isArray(value)) return (value as readonly LocalText[]).map((item) => render(locale, item)).join('; ');
  return render(locale, value as LocalText);
}

function fill(locale: Locale, template: string, params: Readonly<Record<string, MessageValue>>): string {
  return template.replace(/\{([A-Za-z0-9]+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : formatValue(locale, value);
  });
}

/**
 * Writes a {@link LocalText} in `locale`. A key no catalogue has (a text of a module loaded from
 * `ROBUSTO_MODULES`) is shown as it is.
 */
export function render(locale: Locale, local: LocalText): string {
  let key = local.key;
  if (local.count !== undefined)
    key = `${key}.${cached(pluralRules, locale, () => new Intl.PluralRules(locale)).select(local.count) === 'one' ? 'one' : 'other'}`;
  const template = (CATALOGUES[locale].messages as Record<string, string>)[key];
  return template === undefined ? key : fill(locale, template, local.params);
}

/** A text that is either a {@link LocalText} or a string already written (shown as it is), in `locale`. */
export function textIn(locale: Locale, value: string | LocalText): string {
  return typeof value === 'string' ? value : render(locale, value);
}

/**
 * The text of `key` in `locale` with its placeholders filled in, numbers and dates written as the
 * language writes them.
 *
 * @example
 * t('pt-BR', 'students.notFound', { id: 'abc' }); // 'Nenhum aluno com id abc.'
 */
export function t<K extends MessageKey>(locale: Locale, key: K, ...params: ParamsArgument<K>): string {
  return render(locale, text(key, ...params));
}

/** The title of an error code in `locale`, or undefined for a code no catalogue has. */
export function titleIn(locale: Locale, code: string): string | undefined {
  return (CATALOGUES[locale].codes as Record<string, { title: string } | undefined>)[code]?.title;
}

/** The meaning of an error code in `locale`, or undefined for a code no catalogue has. */
export function meaningIn(locale: Locale, code: string): string | undefined {
  return (CATALOGUES[locale].codes as Record<string, { meaning: string } | undefined>)[code]?.meaning;
}
