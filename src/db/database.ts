import type { Readable, Writable } from 'node:stream';
import type { Kysely, Transaction } from 'kysely';

/** Which database engine robusto runs on. */
export type Engine = 'sqlite' | 'postgres';

/** Connection pool figures, readable at any time (for `/health` and `/metrics`). */
export interface PoolStats {
  /** Connections open now. */
  total: number;
  /** Open connections not in use. */
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  /** Most connections the pool will open. */
  max: number;
}

/**
 * Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
 * throws (and the error is rethrown). The handle must not be used after `work` settles.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
export type TransactionRunner = <T>(work: (tx: Transaction<any>) => Promise<T>) => Promise<T>;

/**
 * The database robusto talks to, whichever the engine: a Kysely instance plus what the kernel
 * needs to watch it. Created by `createDb`; modules reach it through their context.
 */
export interface Database {
  readonly engine: Engine;
  // NB: `any` here because each module brings its own table types and narrows this with
  // `kysely.withTables<…>()` or a cast at its own boundary; the kernel owns no business table.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  readonly kysely: Kysely<any>;
  /**
   * Runs a write transaction: what the dispatcher runs every command in. Same semantics as
   * `kysely.transaction().execute(work)`, with less overhead per write on PostgreSQL; on SQLite
   * writes that arrive together share one COMMIT, each in its own savepoint (see
   * `sqliteGroupCommit`). On
   * PostgreSQL an attempt the server stops answering is abandoned after `DB_WRITE_DEADLINE_MS`
   * with a `DatabaseStalledError`, its connection destroyed (see `StallWatch`).
   */
  readonly transaction: TransactionRunner;
  /**
   * One real round trip (`SELECT 1`); resolves its latency in milliseconds. Concurrent callers
   * share the probe in flight, so a stalled database never piles up probes. On PostgreSQL it
   * runs on a dedicated connection, never a pooled one, and fails within 1.5 s
   * (`MONITOR_PING_TIMEOUT_MS`), destroying that connection: monitoring cannot exhaust the pool.
   */
  ping(): Promise<number>;
  /** Current pool figures. */
  poolStats(): PoolStats;
  /** Closes every connection; waits for queries in flight. */
  close(): Promise<void>;
  /**
   * PostgreSQL only: runs `work` on a connection of its own, outside the pool, with COPY streams
   * (what backup and restore move tables with). Undefined on SQLite.
   */
  readonly copy?: <T>(work: (session: CopySession) => Promise<T>) => Promise<T>;
}

/**
 * One PostgreSQL connection with `COPY` streams: statements through `kysely` and the streams all
 * go over it, in order, so a transaction begun with `kysely` holds for the COPY statements too.
 */
export interface CopySession {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  readonly kysely: Kysely<any>;
  /** The output of a `COPY … TO STDOUT` statement, as the server sends it (64 KiB chunks, rows cut across them). */
  copyOut(statement: string): Readable;
  /** Where the data of a `COPY … FROM STDIN` statement goes; it has loaded when the stream finishes. */
  copyIn(statement: string): Writable;
}
