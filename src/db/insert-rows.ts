import { CompiledQuery, sql, type InsertObject, type InsertQueryBuilder, type InsertResult, type Kysely, type Transaction } from 'kysely';
import { directConnectionOf } from './dialects/postgres-transaction.js';
import { isPostgres } from './sql-types.js';

/**
 * An INSERT of many rows, ready to run or to extend (`onConflict`, `returning`). Every row must
 * have the same keys, the table's column names.
 *
 * On PostgreSQL the rows travel as one JSON parameter that `json_populate_recordset` turns back
 * into rows of the table's own types. A multi-row `VALUES` list costs a parameter per cell: 500
 * rows of 13 columns are 6 500 parameters to bind and a statement of 6 500 placeholders to parse,
 * which took about 15 ms where the JSON form takes 9 (measured with 500 student rows). That is
 * what lets the journal's replay drain faster than the journal fills. On SQLite, in the same
 * process, the plain multi-row INSERT is already cheap and stays.
 */
export function insertRows(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  db: Kysely<any> | Transaction<any>,
  table: string,
  rows: ReadonlyArray<Record<string, unknown>>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- builds on any table
): InsertQueryBuilder<any, any, InsertResult> {
  const first = rows[0];
  if (!first) throw new Error(`insertRows(${table}): no rows`);
  if (!isPostgres(db)) return db.insertInto(table).values(rows as Array<Record<string, unknown>>);
  const columns = Object.keys(first);
  const refs = sql.join(columns.map((column) => sql.ref(column)));
  return db
    .insertInto(table)
    .columns(columns)
    .expression(sql`select ${refs} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`);
}

/** The most statements {@link insertRow} keeps (one per table and set of columns: a handful in practice). */
const MAX_CACHED_INSERTS = 500;
// SQL of single-row INSERTs by engine, table and columns; `null` for a shape whose compiled
// parameters turned out not to be its values in column order (it is then always built).
const compiledInserts = new Map<string, string | null>();

function isPlainValue(value: unknown): boolean {
  // Kysely expressions (sql`…`, sub-queries) compile to SQL, not to a parameter.
  return (
    typeof value !== 'function' &&
    (typeof value !== 'object' || value === null || typeof (value as { toOperationNode?: unknown }).toOperationNode !== 'function')
  );
}

/**
 * Inserts one row: the same statement as `db.insertInto(table).values(row).execute()`, but built
 * and compiled by Kysely only the first time a table is written with a given set of columns;
 * later rows reuse that SQL with their own values. Building and compiling INSERTs was the
 * largest single cost of a write in a CPU profile under load (`POST /api/students`, a student's
 * row and its audit row): Kysely's share fell from about 49 to 22 µs per request with this.
 *
 * Columns whose value is `undefined` are left out, as Kysely does. A row holding an expression
 * (`sql\`now()\``), or a Kysely instance with plugins, is built as usual every time. Inside the
 * dispatcher's transaction on PostgreSQL (`Database.transaction`), a reused statement goes
 * straight to the transaction's connection, past Kysely's executor.
 */
export function insertRow<DB, T extends keyof DB & string>(db: Kysely<DB> | Transaction<DB>, table: T, row: InsertObject<DB, T>): Promise<void> {
  const record = row as Record<string, unknown>;
  const columns: string[] = [];
  const values: unknown[] = [];
  let plain = true;
  for (const column in record) {
    const value = record[column];
    if (value === undefined) continue;
    plain &&= isPlainValue(value);
    columns.push(column);
    values.push(value);
  }
  // Inside the dispatcher's transaction on PostgreSQL (no plugins there), straight to its connection.
  const direct = directConnectionOf(db);
  // NB: a plugin may rewrite some values (booleans, dates) or the statement: then always build.
  if (!plain || (!direct && db.getExecutor().plugins.length > 0)) return buildAndRun(db, table, record);
  const key = `${direct || isPostgres(db) ? 'pg' : 'sqlite'}\u0000${table}\u0000${columns.join('\u0000')}`;
  const text = compiledInserts.get(key);
  if (text === undefined) return compileAndRun(db, table, record, key, values);
  if (text === null) return buildAndRun(db, table, record);
  return direct ? direct.run(text, values) : runRaw(db, text, values);
}

// NB: async functions, so that whatever Kysely throws (a handle used after its transaction
// ended throws synchronously) reaches the caller as a rejection, as from the query builder.
async function runRaw<DB>(db: Kysely<DB> | Transaction<DB>, text: string, values: unknown[]): Promise<void> {
  await db.executeQuery(CompiledQuery.raw(text, values));
}

async function buildAndRun<DB>(db: Kysely<DB> | Transaction<DB>, table: string, record: Record<string, unknown>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  await (db as Kysely<any>).insertInto(table).values(record).execute();
}

async function compileAndRun<DB>(
  db: Kysely<DB> | Transaction<DB>,
  table: string,
  record: Record<string, unknown>,
  key: string,
  values: unknown[],
): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  const compiled = (db as Kysely<any>).insertInto(table).values(record).compile();
  // NB: reused only if its parameters are exactly the values, in column order; anything
  // else (a dialect that inlines a value) keeps being built each time.
  const reusable = compiled.parameters.length === values.length && compiled.parameters.every((p, i) => p === values[i]);
  if (compiledInserts.size >= MAX_CACHED_INSERTS) compiledInserts.clear();
  compiledInserts.set(key, reusable ? compiled.sql : null);
  await db.executeQuery(compiled);
}
