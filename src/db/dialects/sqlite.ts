import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, SqliteDriver, type DatabaseConnection, type Dialect, type Driver, type SqliteDialectConfig } from 'kysely';
import type { PoolStats } from '../database.js';

interface Counters {
  inUse: number;
  waiting: number;
}

/**
 * How long one SQLite statement waits for another connection's lock before failing with
 * SQLITE_BUSY. Kept short because better-sqlite3 waits synchronously, freezing the event loop;
 * longer waits are the retry helper's job, which waits asynchronously.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 200;

/** The most prepared statements kept for reuse; the oldest goes when a new one comes. */
export const SQLITE_STATEMENT_CACHE_MAX = 256;

/** The opened SQLite database plus live pool-like figures. */
export interface SqliteHandle {
  dialect: Dialect;
  stats(): PoolStats;
  raw: SqliteDatabase.Database;
}

/**
 * Opens (creating if needed) the SQLite file with the settings robusto relies on: WAL, so
 * readers never wait for writers; `synchronous=FULL`, so a commit survives power loss; a busy
 * timeout; and foreign keys enforced.
 */
export function openSqlite(file: string): SqliteHandle {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const raw = new SqliteDatabase(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);

  const counters: Counters = { inUse: 0, waiting: 0 };
  const dialect = new CountingSqliteDialect({ database: reusingStatements(raw) }, counters);
  return {
    dialect,
    raw,
    stats: () => ({ total: 1, idle: counters.inUse > 0 ? 0 : 1, waiting: counters.waiting, max: 1 }),
  };
}

/**
 * The database as Kysely's SQLite driver uses it, keeping the statements it prepares: the driver
 * prepares every query it runs, and preparing (SQLite parsing and planning the SQL) costs a
 * list request more CPU than running its query. Kysely's queries take their values as
 * parameters, so a route runs the same few SQL texts again and again. A kept statement is never
 * in use twice: the driver holds its one connection while a query streams, and SQLite runs
 * nothing else on a connection that is iterating. SQLite prepares a kept statement again by
 * itself when a migration changes the schema.
 */
function reusingStatements(raw: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const kept = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = kept.get(sql);
      if (statement === undefined) {
        statement = raw.prepare(sql);
        if (kept.size >= SQLITE_STATEMENT_CACHE_MAX) kept.delete(kept.keys().next().value as string);
        kept.set(sql, statement);
      }
      return statement;
    },
  };
}

/** SqliteDialect whose driver counts callers holding and waiting for the one connection. */
class CountingSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #counters: Counters;

  constructor(config: SqliteDialectConfig, counters: Counters) {
    super(config);
    this.#config = config;
    this.#counters = counters;
  }

  override createDriver(): Driver {
    return new CountingSqliteDriver(this.#config, this.#counters);
  }
}

class CountingSqliteDriver extends SqliteDriver {
  readonly #counters: Counters;

  constructor(config: SqliteDialectConfig, counters: Counters) {
    super(config);
    this.#counters = counters;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    this.#counters.waiting++;
    try {
      const connection = await super.acquireConnection();
      this.#counters.inUse++;
      return connection;
    } finally {
      this.#counters.waiting--;
    }
  }

  override async releaseConnection(): Promise<void> {
    this.#counters.inUse--;
    await super.releaseConnection();
  }
}
