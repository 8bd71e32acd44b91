import { PostgresAdapter, type ColumnDataType, type Kysely } from 'kysely';

/** Column types that differ by engine, for migrations. */
export interface SqlTypes {
  /** UUID ids: `uuid` on PostgreSQL, `text` on SQLite. */
  id: ColumnDataType;
  /** Instants: `timestamptz` / `text` (ISO 8601, UTC, which sorts correctly as text). */
  timestamp: ColumnDataType;
  /** Calendar dates: `date` / `text` (`YYYY-MM-DD`). */
  date: ColumnDataType;
}

/** Tells whether a Kysely instance talks to PostgreSQL. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * The engine-specific column types for a migration. Values cross the boundary the same way on
 * both engines: ids and instants as strings (ISO 8601), dates as `YYYY-MM-DD`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
export function sqlTypes(db: Kysely<any>): SqlTypes {
  return isPostgres(db) ? { id: 'uuid', timestamp: 'timestamptz', date: 'date' } : { id: 'text', timestamp: 'text', date: 'text' };
}
