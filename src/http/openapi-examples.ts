import { cnpjFromBase, cpfFromBase } from '../shared/documents.js';

type Schema = Record<string, unknown>;

/** A birth date of an adult, fixed so the document does not change from one day to the next. */
const BIRTH_DATE = '1994-08-17';
/** Any other date: one in the future (an expiry, a due date). */
const DATE = '2026-09-30';

/** Strings by what their property is called, when the schema says nothing better. */
const BY_NAME: ReadonlyArray<[RegExp, string]> = [
  [/^(name|fullName)$/i, 'Maria Eduarda Oliveira'],
  [/guardian/i, 'Cláudia Oliveira'],
  [/phone|mobile|whatsapp/i, '(11) 98765-4321'],
  [/email/i, 'maria.oliveira@example.com.br'],
  [/plan/i, 'Musculação 3x por semana'],
  [/title|subject/i, 'Reunião de pais'],
  [/address/i, 'Rua das Flores, 123 - Centro, São Paulo - SP'],
  [/note|body|text|reason|description|comment/i, 'Conferido na entrega.'],
];

/** Strings by format. */
const BY_FORMAT: Readonly<Record<string, string>> = {
  cpf: cpfFromBase('390533447'),
  cnpj: cnpjFromBase('112223330001'),
  email: 'maria.oliveira@example.com.br',
  uuid: '0190f5e2-7c4a-7b8e-9d3f-2a1b4c5d6e7f',
  'date-time': '2026-03-02T14:30:00Z',
  uri: 'https://example.com.br',
  url: 'https://example.com.br',
};

/** Plain strings tried in turn against a pattern the other guesses do not fit. */
const FALLBACKS = ['Exemplo', 'exemplo', 'EXEMPLO', 'exemplo-1', 'ABC123', '123', 'a'];

function firstOf(values: unknown): unknown {
  return Array.isArray(values) && values.length > 0 ? values[0] : undefined;
}

function fits(value: string, schema: Schema): boolean {
  if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) return false;
  if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) return false;
  if (typeof schema.pattern === 'string') {
    try {
      return new RegExp(schema.pattern, 'u').test(value);
    } catch {
      return true;
    }
  }
  return true;
}

function stringExample(schema: Schema, property: string): string {
  const format = typeof schema.format === 'string' ? schema.format : undefined;
  const candidates: string[] = [];
  if (format === 'date' || format === 'real-date') candidates.push(/birth/i.test(property) ? BIRTH_DATE : DATE);
  if (format && BY_FORMAT[format]) candidates.push(BY_FORMAT[format]);
  for (const [name, text] of BY_NAME) if (name.test(property)) candidates.push(text);
  candidates.push(...FALLBACKS);
  const fitting = candidates.find((candidate) => fits(candidate, schema));
  if (fitting !== undefined) return fitting;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
  return 'a'.repeat(Math.max(min, 1));
}

function numberExample(schema: Schema): number {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : undefined;
  return maximum !== undefined && maximum < minimum ? maximum : Math.max(minimum, 1);
}

function isNullSchema(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && (schema as Schema).type === 'null';
}

/**
 * An example value for a JSON schema, for a request body that has none of its own: the
 * schema's own `examples`, `default`, `const` or first `enum` value where it has one; otherwise
 * a value built from the schema (every property of an object, one item of an array, the lowest
 * allowed number) with strings a person would send: a CPF and a CNPJ with correct check digits,
 * an adult's birth date, Brazilian names, phones and emails, chosen by format and property name
 * and checked against the string's length and pattern. `undefined` where it cannot tell (a
 * `$ref`).
 */
export function exampleOf(schema: unknown, property = '', depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return undefined;
  const s = schema as Schema;
  // NB: before the schema's own examples: a shared date schema's example is no one's birth date.
  if ((s.format === 'date' || s.format === 'real-date') && /birth/i.test(property)) return BIRTH_DATE;
  const given = firstOf(s.examples) ?? s.example ?? s.default ?? s.const ?? firstOf(s.enum);
  if (given !== undefined) return given;
  if (s.$ref !== undefined) return undefined;
  const members = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(members)) {
    const member = members.find((m) => !isNullSchema(m)) ?? members[0];
    return exampleOf(member, property, depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((part) => exampleOf(part, property, depth + 1));
    return parts.every((part) => typeof part === 'object' && part !== null && !Array.isArray(part)) ? Object.assign({}, ...parts) : parts[0];
  }
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const example: Record<string, unknown> = {};
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const limit = typeof s.maxProperties === 'number' ? s.maxProperties : Infinity;
      for (const [name, member] of Object.entries(properties)) {
        if (Object.keys(example).length >= limit) break;
        const value = exampleOf(member, name, depth + 1);
        if (value !== undefined) example[name] = value;
      }
      return example;
    }
    case 'array': {
      const item = exampleOf(s.items, property, depth + 1);
      const count = Math.max(typeof s.minItems === 'number' ? s.minItems : 1, 1);
      return item === undefined ? [] : Array.from({ length: count }, () => item);
    }
    case 'string':
      return stringExample(s, property);
    case 'integer':
    case 'number':
      return numberExample(s);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return undefined;
  }
}
