import { Transaction, type CompiledQuery, type DatabaseConnection, type Dialect, type Kysely, type KyselyConfig, type QueryResult } from 'kysely';
import type pg from 'pg';
import type { TransactionRunner } from '../database.js';
import type { StallWatch } from './postgres-deadline.js';
import { setLocalStatementTimeout } from './postgres-dialect.js';
import { withLiterals } from './postgres-literals.js';
import { NO_DRIVER } from './no-driver.js';

const COMMIT = 'commit';
const ROLLBACK = 'rollback';

/** Told of every statement a transaction ran (as Kysely's `log` option is, which this path bypasses). */
export type QueryListener = (sql: string, parameters: readonly unknown[]) => void;

/** Thrown when a transaction's handle is used after its COMMIT or ROLLBACK. */
function transactionEnded(): Error {
  return new Error('this transaction has already ended (committed or rolled back); run the query inside the transaction callback');
}

/**
 * A statement held back for the next round trip: its SQL with the values written in as
 * literals, and as it was given (for the query listener).
 */
interface HeldStatement {
  readonly literal: string;
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * The one connection of a transaction, as Kysely sees it: its queries go straight to the pooled
 * `pg` client, and once the transaction ends they are refused, so a handle kept past its
 * callback can never run in the next transaction on the same client.
 *
 * It saves round trips. BEGIN is not sent until there is something to send, and a statement
 * whose result nobody reads (an INSERT from `insertRow`, see {@link TransactionConnection.run})
 * is held back and goes with the next one that needs the server: the next query, or the COMMIT.
 * They travel as one simple-protocol message (`begin; set local …; insert …; insert …; commit`),
 * the statements in their order, each seeing the ones before, so a write that only inserts (a
 * registration and its audit row) is one round trip where it was four. A statement that fails
 * still rolls the whole transaction back; its error only surfaces later, at the statement that
 * carried it, which is where the transaction's callback or its COMMIT awaits.
 */
export class TransactionConnection implements DatabaseConnection {
  #client: pg.PoolClient | undefined;
  readonly #onQuery: QueryListener | undefined;
  readonly #begin: string;
  #begun = false;
  #held: HeldStatement[] = [];

  /** `begin`: the statements that open the transaction (`begin; set local statement_timeout = …`). */
  constructor(client: pg.PoolClient, begin: string, onQuery: QueryListener | undefined) {
    this.#client = client;
    this.#begin = begin;
    this.#onQuery = onQuery;
  }

  /** True once BEGIN has been sent: the server then holds a transaction that a ROLLBACK must end. */
  get begun(): boolean {
    return this.#begun;
  }

  // NB: plain promise chains, not async functions: every write runs these several times.
  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const client = this.#client;
    if (!client) return Promise.reject(transactionEnded());
    if (this.#begun && this.#held.length === 0)
      return client.query(compiled.sql, compiled.parameters as unknown[]).then((result) => this.#resultOf<R>(compiled, result));
    // BEGIN or statements held go first: in the same message when the query's values have a literal form.
    const literal = withLiterals(compiled.sql, compiled.parameters);
    if (literal === undefined) {
      const query = () => client.query(compiled.sql, compiled.parameters as unknown[]).then((result) => this.#resultOf<R>(compiled, result));
      return this.#sendAhead(client, undefined)?.then(query) ?? query();
    }
    return this.#sendAhead(client, literal, true).then((results) => this.#resultOf<R>(compiled, results));
  }

  /** Kysely's result of a query, from node-postgres's (the last one, when the message carried several). */
  #resultOf<R>(compiled: CompiledQuery, result: pg.QueryResult | pg.QueryResult[] | void): QueryResult<R> {
    const { command, rowCount, rows } = (Array.isArray(result) ? result[result.length - 1] : result) as pg.QueryResult;
    this.#onQuery?.(compiled.sql, compiled.parameters);
    // The same result Kysely's own PostgreSQL connection gives (numAffectedRows as a bigint).
    const affects = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return { rows: (rows ?? []) as R[], ...(affects ? { numAffectedRows: BigInt(rowCount ?? 0) } : {}) };
  }

  /**
   * Runs a statement whose result is not needed (an INSERT from `insertRow`): held back, with
   * its values written in, until the next statement that needs the server. One with a value
   * that has no literal form (binary data) is sent at once, after the statements held.
   */
  run(sql: string, parameters: readonly unknown[]): Promise<void> {
    const client = this.#client;
    if (!client) return Promise.reject(transactionEnded());
    const literal = withLiterals(sql, parameters);
    if (literal === undefined) {
      const send = () => client.query(sql, parameters as unknown[]).then(() => this.#onQuery?.(sql, parameters));
      return this.#sendAhead(client, undefined)?.then(send) ?? send();
    }
    this.#held.push({ literal, sql, parameters });
    return Promise.resolve();
  }

  // eslint-disable-next-line require-yield -- Kysely requires the method; robusto never streams a query
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not available inside a write transaction');
  }

  /**
   * Ends the handle, then sends COMMIT, with BEGIN and the statements held if any (a transaction
   * that sent nothing sends nothing). NB: in that order, so that a statement a kept handle sends
   * meanwhile is refused instead of running after the COMMIT, outside any transaction.
   */
  commit(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return Promise.reject(transactionEnded());
    if (!this.#begun && this.#held.length === 0) return Promise.resolve();
    return this.#sendAhead(client, COMMIT) ?? Promise.resolve();
  }

  end(): void {
    this.#client = undefined;
    this.#held = [];
  }

  /**
   * Sends what must reach the server before the next statement (BEGIN if not yet sent, the
   * statements held), followed by `last` if given, as one message; undefined when there is
   * nothing to send. The listener hears each statement once the message succeeded (`last`, when
   * it is a query whose result the caller reads, from the caller). Resolves with the results.
   */
  #sendAhead(client: pg.PoolClient, last: string | undefined): Promise<void> | undefined;
  #sendAhead(client: pg.PoolClient, last: string, lastIsQuery: true): Promise<pg.QueryResult | pg.QueryResult[]>;
  #sendAhead(client: pg.PoolClient, last: string | undefined, lastIsQuery = false): Promise<unknown> | undefined {
    const held = this.#held;
    const begin = this.#begun ? undefined : this.#begin;
    if (begin === undefined && held.length === 0 && last === undefined) return undefined;
    this.#begun = true;
    this.#held = [];
    const parts: string[] = begin === undefined ? [] : [begin];
    for (const statement of held) parts.push(statement.literal);
    if (last !== undefined) parts.push(last);
    return client.query(parts.join(';\n')).then((results) => {
      const listener = this.#onQuery;
      if (listener) {
        if (begin !== undefined) listener(begin, []);
        for (const statement of held) listener(statement.sql, statement.parameters);
        // A query's own result goes to the caller, who tells the listener.
        if (last !== undefined && !lastIsQuery) listener(last, []);
      }
      return results;
    });
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
  return client.query(ROLLBACK).then(() => onQuery?.(ROLLBACK, []));
}

/**
 * Builds {@link Database.transaction} for PostgreSQL: takes a client from the pool, BEGIN, runs
 * `work` with a Kysely transaction on that client, COMMIT, or ROLLBACK if anything throws
 * (COMMIT included), and gives the client back; a client whose ROLLBACK failed goes back with
 * the error, so the pool discards it. BEGIN and the statements whose results nobody reads go
 * with the next statement that needs the server (see {@link TransactionConnection}): a
 * transaction that only inserts is one round trip, COMMIT included.
 *
 * BEGIN also sets the transaction's statement timeout (`begin; set local statement_timeout = …`):
 * behind a transaction pooler the connection's own timeout does not reach the server connection
 * the transaction runs on (see `setLocalStatementTimeout`).
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
  // Sent ahead of the first statement that needs the server, in the same message.
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
    const connection = new TransactionConnection(client, begin, onQuery);
    attempt.client = client;
    attempt.connection = connection;
    let broken: Error | undefined;
    try {
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
        await connection.commit();
        return result;
      } catch (error) {
        connection.end();
        // A transaction that never reached the server has nothing to roll back.
        if (!attempt.abandoned && connection.begun) {
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
