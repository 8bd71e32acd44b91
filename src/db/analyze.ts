import { sql } from 'kysely';
import type { Database } from './database.js';

/**
 * Refreshes the planner's statistics of `tables` (`ANALYZE`, both engines). After a bulk load
 * the planner otherwise plans with none: on a PostgreSQL without autovacuum (or before it comes
 * round), a page of a list is sorted from every row of the table instead of read from its index.
 * `concurrency` tables at a time, each on a connection of its own (PostgreSQL; SQLite's one
 * connection takes them in turn): a restore, which waits for it, analyzes two at once.
 */
export async function analyzeTables(db: Database, tables: readonly string[], concurrency = 1): Promise<void> {
  const queue = [...tables];
  const worker = async (): Promise<void> => {
    for (let table = queue.shift(); table !== undefined; table = queue.shift()) await sql`analyze ${sql.table(table)}`.execute(db.kysely);
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}

/**
 * Refreshes the statistics of the tables that changed much since they were last analyzed, and
 * returns their names. On PostgreSQL: each table of the current schema with at least `minRows`
 * rows changed since its last `ANALYZE` (the server's own count, `n_mod_since_analyze`), or
 * rows and no statistics at all. On SQLite, `PRAGMA optimize` decides which tables to analyze
 * (it names none).
 */
export async function analyzeChangedTables(db: Database, minRows: number): Promise<string[]> {
  if (db.engine === 'sqlite') {
    // 0x10002: analyze where needed (0x02), looking at every table, not only those this connection queried (0x10000).
    await sql`pragma optimize = 0x10002`.execute(db.kysely);
    return [];
  }
  const { rows } = await sql<{ relname: string }>`
    select relname from pg_stat_user_tables
    where schemaname = current_schema()
      and (n_mod_since_analyze >= ${minRows} or (last_analyze is null and last_autoanalyze is null and n_live_tup > 0))
    order by relname`.execute(db.kysely);
  const tables = rows.map((row) => row.relname);
  await analyzeTables(db, tables);
  return tables;
}
