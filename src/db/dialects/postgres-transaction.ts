import { CompiledQuery, Transaction, type DatabaseConnection, type Dialect, type Driver, type Kysely, type KyselyConfig, type QueryResult } from 'kysely';
import type pg from 'pg';
import type { TransactionRunner } from '../database.js';
import type { StallWatch } from './postgres-deadline.js';
import { setLocalStatementTimeout } from './postgres-dialect.js';

const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** Told of every statement a transaction ran (as Kysely's `log` option is, which this path bypasses). */
export type QueryListener = (sql: string, parameters: readonly unknown[]) => void;

/** Thrown when a transaction's handle is used after its COMMIT or ROLLBACK. */
function transactionEnded(): Error {
  return new Error('this transaction has already ended (committed or rolled back); run the query inside the transaction callback');
}

/**
 * The one connection of a transaction, as Kysely sees it: its queries go straight to the pooled
 * `pg` client, and once the transaction ends they are refused, so a handle kept past its
 * callback can never run in the next transaction on the same client.
 */
export class TransactionConnection implements DatabaseConnection {
  #client: pg.PoolClient | undefined;
  readonly #onQuery: QueryListener | undefined;

  constructor(client: pg.PoolClient, onQuery: QueryListener | undefined) {
    this.#client = client;
    this.#onQuery = onQuery;
  }

  // NB: plain promise chains, not async functions: every write runs these four or more times.
  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const client = this.#client;
    if (!client) return Promise.reject(transactionEnded());
    return client.query(compiled.sql, compiled.parameters as unknown[]).then(({ command, rowCount, rows }) => {
      this.#onQuery?.(compiled.sql, compiled.parameters);
      // The same result Kysely's own PostgreSQL connection gives (numAffectedRows as a bigint).
      const affects = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
      return { rows: (rows ?? []) as R[], ...(affects ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}) };
    });
  }

  /** Runs a statement whose result is not needed (an INSERT from `insertRow`). */
  run(sql: string, parameters: readonly unknown[]): Promise<void> {
    const client = this.#client;
    if (!client) return Promise.reject(transactionEnded());
    return client.query(sql, parameters as unknown[]).then(() => this.#onQuery?.(sql, parameters));
  }

  // eslint-disable-next-line require-yield -- Kysely requires the method; robusto never streams a query
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not available inside a write transaction');
  }

  /**
   * Ends the handle, then runs COMMIT or ROLLBACK. NB: in that order, so that a statement a kept
   * handle sends meanwhile is refused instead of running after the COMMIT, outside any transaction.
   */
  finish(statement: CompiledQuery): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return Promise.reject(transactionEnded());
    return client.query(statement.sql).then(() => this.#onQuery?.(statement.sql, statement.parameters));
  }

  end(): void {
    this.#client = undefined;
  }
}

// The connection behind each open transaction's handle (see directConnectionOf).
const connections = new WeakMap<object, TransactionConnection>();

/**
 * The connection under a handle made by {@link postgresTransactions} on a Kysely instance without
 * plugins, or `undefined` for any other. A statement already compiled can run on it directly,
 * without Kysely's executor (`insertRow` does): there is no plugin to apply.
 */
export function directConnectionOf(db: object): TransactionConnection | undefined {
  return connections.get(db);
}

// ROLLBACK on the client itself: the handle may already be ended (a COMMIT that failed).
function rollback(client: pg.PoolClient, onQuery: QueryListener | undefined): Promise<void> {
  return client.query(ROLLBACK.sql).then(() => onQuery?.(ROLLBACK.sql, ROLLBACK.parameters));
}

/** Stands in for the pool's driver in a transaction's handle, where nothing may take another connection. */
const NO_DRIVER: Driver = {
  init: () => Promise.reject(new Error('no driver inside a transaction')),
  acquireConnection: () => Promise.reject(new Error('a transaction cannot open another connection')),
  beginTransaction: () => Promise.reject(new Error('a transaction cannot begin another one')),
  commitTransaction: () => Promise.reject(new Error('commit by returning from the transaction callback')),
  rollbackTransaction: () => Promise.reject(new Error('roll back by throwing from the transaction callback')),
  releaseConnection: () => Promise.resolve(),
  destroy: () => Promise.reject(new Error('a transaction cannot destroy the pool')),
};

/**
 * Builds {@link Database.transaction} for PostgreSQL: takes a client from the pool, BEGIN, runs
 * `work` with a Kysely transaction on that client, COMMIT, or ROLLBACK if anything throws
 * (COMMIT included), and gives the client back; a client whose ROLLBACK failed goes back with
 * the error, so the pool discards it.
 *
 * BEGIN also sets the transaction's statement timeout (`begin; set local statement_timeout = …`,
 * one round trip): behind a transaction pooler the connection's own timeout does not reach the
 * server connection the transaction runs on (see `setLocalStatementTimeout`).
 *
 * With a {@link StallWatch}, an attempt the server stops answering is abandoned at its deadline
 * (see `StallWatch`): its handle is ended first, so no statement, COMMIT included, can be sent
 * any more, and then its client is released with the error, which makes the pool destroy it (the
 * socket is closed, and a server that resumes later rolls the transaction back unless its
 * COMMIT was already sent). An attempt abandoned while it waits for a client gives the client
 * back, unused, when it comes.
 *
 * Why not `kysely.transaction().execute()`: it is the same statements, but every write paid for
 * Kysely's connection provider, runtime driver and per-query executor layers, several async
 * hops per statement that showed up in CPU profiles of `POST /api/students` under load. Queries
 * built on the handle still go through Kysely's compiler and plugins; only the connection
 * handling is direct.
 *
 * @param kysely the pool's Kysely instance (its compiler, adapter and plugins are reused).
 * @param props the dialect and config it was made with.
 * @param connect checks a client out of the pool (with robusto's broken-client handling).
 * @param statementTimeoutMs the statement timeout of each transaction (`DB_STATEMENT_TIMEOUT_MS`).
 * @param onQuery told of each statement that succeeded, BEGIN and COMMIT included.
 * @param watch abandons an attempt the server stops answering; none: attempts wait as long as the pool's timeouts allow.
 */
export function postgresTransactions(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  kysely: Kysely<any>,
  props: { dialect: Dialect; config: KyselyConfig },
  connect: () => Promise<pg.PoolClient>,
  statementTimeoutMs: number,
  onQuery?: QueryListener,
  watch?: StallWatch,
): TransactionRunner {
  // NB: two statements in one simple query, no parameters: one round trip, as a bare BEGIN was.
  const begin = `begin; ${setLocalStatementTimeout(statementTimeoutMs)}`;
  const executor = kysely.getExecutor();
  // Only a handle without plugins may take statements straight to its connection.
  const plainExecutor = executor.plugins.length === 0;
  const { config, dialect } = props;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  const run = async <T>(work: (tx: Transaction<any>) => Promise<T>, attempt: Attempt): Promise<T> => {
    const client = await connect();
    if (attempt.abandoned) {
      client.release();
      throw new Error('the transaction attempt was abandoned while it waited for a connection');
    }
    const connection = new TransactionConnection(client, onQuery);
    attempt.client = client;
    attempt.connection = connection;
    let broken: Error | undefined;
    try {
      await connection.run(begin, []);
      // NB: an object literal, not `{ ...props, … }`: the spread made this line cost about 2 µs
      // (10 times the literal) on every write.
      const tx = new Transaction({
        config,
        dialect,
        driver: NO_DRIVER,
        executor: executor.withConnectionProvider({ provideConnection: (use) => use(connection) }),
      });
      if (plainExecutor) connections.set(tx, connection);
      try {
        const result = await work(tx);
        await connection.finish(COMMIT);
        return result;
      } catch (error) {
        connection.end();
        if (!attempt.abandoned) {
          await rollback(client, onQuery).catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
        }
        throw error;
      }
    } finally {
      connection.end();
      attempt.release(broken);
    }
  };
  return (work) => {
    const attempt = new Attempt();
    if (!watch) return run(work, attempt);
    return watch.guard(run(work, attempt), () => attempt.abandon());
  };
}

/** One attempt of a transaction: its client once it has one, and whether it was abandoned. */
class Attempt {
  client: pg.PoolClient | undefined;
  connection: TransactionConnection | undefined;
  abandoned = false;
  #released = false;

  /** Gives the client back to the pool, once; with an error, the pool destroys it. */
  release(error: Error | undefined): void {
    if (this.#released || !this.client) return;
    this.#released = true;
    this.client.release(error);
  }

  /** Ends the handle (nothing more can be sent) and destroys the client. */
  abandon(): void {
    this.abandoned = true;
    this.connection?.end();
    this.release(new Error('the database stopped answering; the connection is closed'));
  }
}
