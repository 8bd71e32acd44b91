import { Kysely, sql, type LogEvent } from 'kysely';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/create-logger.js';
import type { Database, PoolStats, TransactionRunner } from './database.js';
import { openPostgres } from './dialects/postgres.js';
import { postgresTransactions } from './dialects/postgres-transaction.js';
import { openSqlite } from './dialects/sqlite.js';

/** Options of {@link createDb}. */
export interface CreateDbOptions {
  /** Called with every statement run (tests use it to EXPLAIN the real queries). */
  onQuery?: (sql: string, parameters: readonly unknown[]) => void;
}

/**
 * Creates the {@link Database} the config names: SQLite at `DATA_DIR/robusto.db` when
 * `DATABASE_URL` is unset, otherwise a PostgreSQL pool.
 *
 * Nothing here waits for PostgreSQL: the pool connects on first use, so the server can start
 * while the database is down. SQLite is opened at once; a failure there (unwritable `DATA_DIR`)
 * throws.
 */
export function createDb(config: Readonly<Config>, log: Logger, options: CreateDbOptions = {}): Database {
  const kyselyLog = options.onQuery ? (event: LogEvent) => options.onQuery?.(event.query.sql, event.query.parameters) : undefined;
  const postgres =
    config.engine === 'postgres'
      ? openPostgres(config.databaseUrl as string, config.pool, (error) => {
          log.warn({ err: error }, 'idle database connection failed; the pool will replace it');
        })
      : undefined;
  const handle = postgres ?? openSqlite(config.paths.sqliteFile);
  const kyselyConfig = { dialect: handle.dialect, ...(kyselyLog ? { log: kyselyLog } : {}) };
  const kysely = new Kysely(kyselyConfig);
  const transaction: TransactionRunner = postgres
    ? postgresTransactions(kysely, { dialect: postgres.dialect, config: kyselyConfig }, postgres.connect, options.onQuery)
    : // NB: SQLite runs one transaction at a time behind Kysely's mutex, which this keeps.
      (work) => kysely.transaction().execute(work);
  return wrap(config.engine, kysely, transaction, handle.stats);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function wrap(engine: Database['engine'], kysely: Kysely<any>, transaction: TransactionRunner, stats: () => PoolStats): Database {
  let inFlight: Promise<number> | undefined;
  let closed: Promise<void> | undefined;
  return {
    engine,
    kysely,
    transaction,
    ping() {
      inFlight ??= (async () => {
        const started = performance.now();
        try {
          await sql`select 1`.execute(kysely);
          return performance.now() - started;
        } finally {
          inFlight = undefined;
        }
      })();
      return inFlight;
    },
    poolStats: stats,
    close() {
      closed ??= kysely.destroy();
      return closed;
    },
  };
}
