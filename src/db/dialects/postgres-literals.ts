import pg from 'pg';

/** A value written as a literal: quoted text, as node-postgres sends a parameter (of no declared type). */
function literalOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      // NB: a NUL would end the protocol message's text early; as a parameter the server refuses it.
      return value.includes('\0') ? undefined : pg.escapeLiteral(value);
    case 'number':
    case 'bigint':
    case 'boolean':
      return `'${String(value)}'`;
    default:
      // Dates, arrays, objects (JSON), binary data: node-postgres's own conversion, as a parameter.
      return undefined;
  }
}

/**
 * `sql` with each placeholder (`$1`, `$2` …) replaced by its value from `parameters` written as a
 * literal, for a statement sent in a simple-protocol message together with others. Each literal
 * is quoted text, of no declared type, which is what the same value sent as a parameter is: the
 * server gives both the column's type, so the statement means the same. Placeholders inside
 * quoted literals or identifiers are left alone.
 *
 * @returns undefined when a value has no safe literal form (see {@link literalOf}): the statement
 *   must then go with its parameters.
 */
export function withLiterals(sql: string, parameters: readonly unknown[]): string | undefined {
  let out = '';
  let from = 0;
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      continue;
    }
    if (c !== '$') continue;
    let end = i + 1;
    while (end < sql.length && sql.charCodeAt(end) >= 48 && sql.charCodeAt(end) <= 57) end++;
    if (end === i + 1) continue;
    const index = Number(sql.slice(i + 1, end)) - 1;
    if (index < 0 || index >= parameters.length) return undefined;
    const literal = literalOf(parameters[index]);
    if (literal === undefined) return undefined;
    out += sql.slice(from, i) + literal;
    from = end;
    i = end - 1;
  }
  return out + sql.slice(from);
}
