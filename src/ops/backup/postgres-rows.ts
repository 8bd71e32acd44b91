import { sql, type Kysely } from 'kysely';

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

/** `COPY … FROM STDIN` of `columns` of `table`, in PostgreSQL's text format (what `NdjsonToCopyText` writes). */
export function copyInStatement(table: string, columns: PostgresColumn[]): string {
  return `copy ${quoted(table)} (${columns.map((column) => quoted(column.name)).join(', ')}) from stdin`;
}
