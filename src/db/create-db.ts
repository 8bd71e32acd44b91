import { Kysely, sql, type LogEvent } from 'kysely';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/create-logger.js';
import type { Database, PoolStats, TransactionRunner } from './database.js';
import { openPostgres } from './dialects/postgres.js';
import { withCopySession } from './dialects/postgres-copy.js';
import { describeHost } from './dialects/postgres-hosts.js';
import { StallWatch } from './dialects/postgres-deadline.js';
import { postgresTransactions } from './dialects/postgres-transaction.js';
import { openSqlite } from './dialects/sqlite.js';
import { sqliteGroupCommit } from './dialects/sqlite-group-commit.js';

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
      ? openPostgres(
          config.databaseUrl as string,
          config.pool,
          (error) => {
            log.warn({ err: error }, 'idle database connection failed; the pool will replace it');
          },
          (host, previous, target) => {
            const fields = { host: describeHost(host), previous: previous && describeHost(previous), targetSessionAttrs: target };
            if (previous) log.warn(fields, 'database connections go to another host');
            else log.info(fields, 'database connections go to the first host that fits');
          },
        )
      : undefined;
  const handle = postgres ?? openSqlite(config.paths.sqliteFile);
  const kyselyConfig = { dialect: handle.dialect, ...(kyselyLog ? { log: kyselyLog } : {}) };
  const kysely = new Kysely(kyselyConfig);
  const transaction: TransactionRunner = postgres
    ? postgresTransactions(
        kysely,
        { dialect: postgres.dialect, config: kyselyConfig },
        () => postgres.connect(),
        config.pool.statementTimeoutMs,
        options.onQuery,
        new StallWatch(postgres.monitor, config.pool.writeDeadlineMs),
      )
    : sqliteGroupCommit(kysely, { dialect: handle.dialect, config: kyselyConfig });
  // PostgreSQL is pinged on the monitor's own connection, never a pooled one (see PostgresMonitor).
  const ping = postgres ? () => postgres.monitor.ping() : sharedPing(kysely);
  const close = postgres ? () => Promise.all([kysely.destroy(), postgres.monitor.close()]).then(() => undefined) : () => kysely.destroy();
  const db = wrap(config.engine, kysely, transaction, ping, () => handle.stats(), close);
  return postgres ? { ...db, copy: (work) => withCopySession(() => postgres.dedicated(), work) } : db;
}

/** `SELECT 1` through Kysely, its latency in milliseconds; concurrent callers share the one in flight. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
function sharedPing(kysely: Kysely<any>): () => Promise<number> {
  let inFlight: Promise<number> | undefined;
  return () => {
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
  };
}

function wrap(
  engine: Database['engine'],
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  kysely: Kysely<any>,
  transaction: TransactionRunner,
  ping: () => Promise<number>,
  stats: () => PoolStats,
  destroy: () => Promise<void>,
): Database {
  let closed: Promise<void> | undefined;
  return {
    engine,
    kysely,
    transaction,
    ping,
    poolStats: stats,
    close() {
      closed ??= destroy();
      return closed;
    },
  };
}
