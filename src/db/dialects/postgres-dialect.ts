import {
  CompiledQuery,
  PostgresAdapter,
  PostgresDialect,
  PostgresDriver,
  sql,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type PostgresDialectConfig,
  type TransactionSettings,
} from 'kysely';

/**
 * The advisory lock key every migrator takes. Kysely's own key, so that instances migrating with
 * Kysely's lock (held for the session) and with this one (held for the transaction) still
 * exclude each other: both kinds share one lock space.
 */
const MIGRATION_LOCK_KEY = 3853314791062309107n;

/**
 * `set local statement_timeout = <ms>`: the statement timeout of the transaction it runs in.
 *
 * NB: the pool also sends `statement_timeout` when it connects (a startup parameter), which sets
 * it for every statement of a direct connection. A transaction pooler (PgBouncer in
 * `pool_mode = transaction`) refuses that parameter, or drops it when told to ignore it, and hands
 * each transaction whichever server connection is free: a timeout the connection was opened with
 * does not follow. One set at the start of each transaction does, on both.
 */
export function setLocalStatementTimeout(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 1) throw new RangeError(`the statement timeout must be a whole number of milliseconds, got ${ms}`);
  return `set local statement_timeout = ${ms}`;
}

/**
 * Takes the migration lock for the rest of the transaction `trx` (`pg_advisory_xact_lock`): the
 * COMMIT or ROLLBACK that ends the transaction releases it, on the server connection that holds
 * it. A lock held for the session (`pg_advisory_lock`, what Kysely's migrator takes) stays on a
 * pooler's server connection when its unlock runs on another one, and holds every later
 * migration off.
 *
 * @throws {Error} when `trx` is not a transaction: the lock would end with the statement.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database's transaction
export async function lockMigrations(trx: Kysely<any>): Promise<void> {
  if (!trx.isTransaction) throw new Error('the PostgreSQL migration lock is held by a transaction: run the migrator inside one');
  await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(trx);
}

/** Kysely's PostgreSQL adapter, with a migration lock held by the migration's transaction (see {@link lockMigrations}). */
class TransactionLockAdapter extends PostgresAdapter {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database's transaction
  override async acquireMigrationLock(db: Kysely<any>): Promise<void> {
    await lockMigrations(db);
  }

  override async releaseMigrationLock(): Promise<void> {
    // Nothing to do: the transaction's end releases the lock.
  }
}

/** Kysely's PostgreSQL driver, whose transactions set their own statement timeout (see {@link setLocalStatementTimeout}). */
class TimedTransactionDriver extends PostgresDriver {
  readonly #setTimeout: CompiledQuery;

  constructor(config: PostgresDialectConfig, statementTimeoutMs: number) {
    super(config);
    this.#setTimeout = CompiledQuery.raw(setLocalStatementTimeout(statementTimeoutMs));
  }

  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await super.beginTransaction(connection, settings);
    await connection.executeQuery(this.#setTimeout);
  }
}

/**
 * Kysely's PostgreSQL dialect as robusto uses it, safe behind a transaction pooler as on a direct
 * connection: `kysely.transaction()` sets the statement timeout inside each transaction, and the
 * migration lock lasts as long as the migration's transaction.
 */
export class RobustoPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;
  readonly #statementTimeoutMs: number;

  constructor(config: PostgresDialectConfig, statementTimeoutMs: number) {
    super(config);
    this.#config = config;
    this.#statementTimeoutMs = statementTimeoutMs;
  }

  override createDriver(): Driver {
    return new TimedTransactionDriver(this.#config, this.#statementTimeoutMs);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionLockAdapter();
  }
}
