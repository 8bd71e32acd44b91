import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { sql, type Kysely } from 'kysely';
import { UnreadableFileError } from '../bounded-read.js';
import { text as localText } from '../../shared/i18n/translate.js';

/** A column of a PostgreSQL table: its name and its `information_schema` data type. */
export interface PostgresColumn {
  name: string;
  type: string;
}

/**
 * `COPY` options under which the server writes and reads a JSON text as it is: CSV with a quote
 * and a delimiter that JSON never holds unescaped (control characters U+0001 and U+0002), so no
 * value is quoted or escaped and a line is exactly one JSON object.
 */
const JSON_LINES = `(format csv, quote e'\\x01', delimiter e'\\x02')`;

/** An identifier, quoted for PostgreSQL. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The columns of every table of the current schema, in their order, by table.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database
export async function postgresColumns(db: Kysely<any>): Promise<Map<string, PostgresColumn[]>> {
  const { rows } = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select table_name, column_name, data_type from information_schema.columns
    where table_schema = current_schema() order by table_name, ordinal_position`.execute(db);
  const columns = new Map<string, PostgresColumn[]>();
  for (const row of rows) {
    const list = columns.get(row.table_name) ?? [];
    list.push({ name: row.column_name, type: row.data_type });
    columns.set(row.table_name, list);
  }
  return columns;
}

/** The planner's estimate of the rows of each table of the current schema (none for a table never analyzed): for progress and the order of work only. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database
export async function postgresRowEstimates(db: Kysely<any>): Promise<Map<string, number>> {
  const { rows } = await sql<{ relname: string; reltuples: number }>`
    select relname, reltuples::float8 as reltuples from pg_class
    where relnamespace = current_schema()::regnamespace and relkind = 'r' and reltuples >= 0`.execute(db);
  return new Map(rows.map((row) => [row.relname, Math.round(Number(row.reltuples))]));
}

/**
 * A column as the paged read gets it from node-postgres, written by the server into the row's
 * JSON: an instant as ISO 8601 UTC with milliseconds (`2024-05-17T12:34:56.123Z`, what
 * `isoInstantOf` makes), a numeric as text (node-postgres reads it as a string); ids, dates
 * (`YYYY-MM-DD`), text, integers, bigints, booleans and JSON come out of `row_to_json` as they are.
 */
function columnValue(column: PostgresColumn): string {
  const name = quoted(column.name);
  if (column.type === 'timestamp with time zone') return `to_char(${name} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${name}`;
  if (column.type === 'numeric') return `${name}::text as ${name}`;
  return name;
}

/**
 * `COPY … TO STDOUT` of a table's rows, one JSON object per line, the columns in their order:
 * the same lines a paged read and `JSON.stringify` write.
 */
export function copyOutStatement(table: string, columns: PostgresColumn[]): string {
  const values = columns.length > 0 ? columns.map(columnValue).join(', ') : '*';
  return `copy (select row_to_json(r) from (select ${values} from ${quoted(table)}) r) to stdout with ${JSON_LINES}`;
}

/** `COPY … FROM STDIN` of `columns` of `table`, in PostgreSQL's text format (what {@link NdjsonToCopyText} writes). */
export function copyInStatement(table: string, columns: PostgresColumn[]): string {
  return `copy ${quoted(table)} (${columns.map((column) => quoted(column.name)).join(', ')}) from stdin`;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A JSON value as a field of `COPY`'s text format: NULL as `\N`, a boolean as `t`/`f`, a number
 * as JSON writes it, an object or array (a JSON column) as its JSON text; backslashes, newlines,
 * carriage returns and tabs escaped. PostgreSQL then reads each field as the column's type reads
 * text: an ISO instant into a timestamptz, `1` into a boolean (a SQLite backup's), and so on.
 */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] as string) : text;
}

/**
 * Turns NDJSON rows (bytes, lines cut anywhere) into `COPY` text-format lines of `columns`, in
 * their order: a column a row lacks is NULL, a key the table has no column for is left out.
 * Counts the rows and tells `onRows` the count after each chunk. A line longer than `maxBytes`
 * fails the stream rather than being buffered.
 */
export class NdjsonToCopyText extends Transform {
  rows = 0;
  #pending = '';
  // NB: a chunk may end inside a character: the decoder keeps its first bytes for the next one.
  readonly #decoder = new StringDecoder('utf8');

  constructor(
    private readonly columns: readonly string[],
    private readonly maxBytes: number,
    private readonly onRows?: (rows: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const text = this.#pending + this.#decoder.write(chunk);
    const last = text.lastIndexOf('\n');
    this.#pending = last === -1 ? text : text.slice(last + 1);
    if (Buffer.byteLength(this.#pending) > this.maxBytes)
      return done(new UnreadableFileError(localText('backup.file.lineTooLong', { max: String(this.maxBytes) })));
    try {
      const out = last === -1 ? '' : this.#convert(text.slice(0, last));
      this.onRows?.(this.rows);
      done(null, out);
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const out = this.#convert(this.#pending + this.#decoder.end());
      this.onRows?.(this.rows);
      done(null, out);
    } catch (error) {
      done(error as Error);
    }
  }

  #convert(lines: string): string {
    let out = '';
    for (const line of lines.split('\n')) {
      if (line.length === 0) continue;
      const row = JSON.parse(line) as Record<string, unknown>;
      out += `${this.columns.map((column) => copyField(row[column])).join('\t')}\n`;
      this.rows++;
    }
    return out;
  }
}
