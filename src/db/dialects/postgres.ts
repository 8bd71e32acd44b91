import type { Dialect } from 'kysely';
import pg from 'pg';
import type { PoolConfig } from '../../config/config.js';
import { parseDatabaseUrl } from '../../config/database-url.js';
import type { PoolStats } from '../database.js';
import { isTransientError } from '../transient-errors.js';
import { RobustoPostgresDialect } from './postgres-dialect.js';
import { clientThrough, HostChooser, type HostChosenListener } from './postgres-hosts.js';
import { PostgresMonitor } from './postgres-monitor.js';

/**
 * Extra time, past the server-side statement timeout, after which the client gives up on a
 * query itself. It catches what the server cannot: a connection that silently stopped
 * delivering bytes (a stalled network), where the server never even saw the statement.
 */
export const CLIENT_READ_TIMEOUT_MARGIN_MS = 5_000;
/** TCP keep-alive probes start after this much idle time on a connection. */
export const KEEPALIVE_INITIAL_DELAY_MS = 10_000;
const PG_INT8_OID = 20;
const PG_DATE_OID = 1082;
const PG_TIMESTAMPTZ_OID = 1184;

// What PostgreSQL sends for a timestamptz in a UTC session: '2024-05-17 12:34:56.123456+00'.
const UTC_TIMESTAMPTZ = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamptz as PostgreSQL sends it, as an ISO 8601 instant with milliseconds ('…T…Z'). In a
 * UTC session (the usual case) that is a rearrangement of the text, done without a Date (a list
 * page has one per row); any other offset or form goes through Date. A value no Date can hold
 * (`infinity`, a date BC, a year past 9999) stays the server's text: one such row must not make
 * the whole query fail.
 */
export function isoInstantOf(value: string): string {
  const utc = UTC_TIMESTAMPTZ.exec(value);
  if (!utc) {
    const instant = new Date(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
    return Number.isNaN(instant.getTime()) ? value : instant.toISOString();
  }
  const fraction = utc[3] === undefined ? '000' : utc[3].length >= 3 ? utc[3].slice(0, 3) : utc[3].padEnd(3, '0');
  return `${utc[1]}T${utc[2]}.${fraction}Z`;
}

/** The PostgreSQL pool plus live pool figures. */
export interface PostgresHandle {
  dialect: Dialect;
  pool: pg.Pool;
  /** Checks a client out of the pool, as the dialect does (a client that breaks while out is discarded on release). */
  connect(): Promise<pg.PoolClient>;
  stats(): PoolStats;
  /**
   * A new client outside the pool (not yet connected), to the same host the pool uses, without
   * statement or read timeout: for COPY, which moves a whole table in one statement.
   */
  dedicated(): pg.Client;
  /** The dedicated connection that pings the server, and the instant of its last answer on any connection. */
  monitor: PostgresMonitor;
}

/** Called with errors of idle pooled connections (the server restarted, the network dropped). */
export type IdleErrorListener = (error: Error) => void;

/**
 * Creates the `pg` pool with robusto's settings (size, statement, connect and idle timeouts,
 * connection max lifetime, TCP keep-alive) and a Kysely dialect over it.
 *
 * The statement timeout goes to the server twice: as a startup parameter of each connection
 * (every statement of a direct connection) and inside each transaction (see
 * `setLocalStatementTimeout`), the one that holds behind a transaction pooler, which does not
 * keep a connection's settings from one transaction to the next.
 *
 * NB: two hazards of checked-out clients are handled here. The pool stops listening for a
 * client's `error` events while it is checked out, so a connection reset mid-query would be an
 * unhandled `error` event, which crashes the process. And Kysely releases a client without
 * saying whether it broke, so a client whose connection failed (reset, read timeout) would go
 * back to the pool half-dead. Each client gets an error listener (once, with its wrapper), and one
 * that broke while checked out is released with its error, which makes the pool destroy it.
 *
 * Every answer a pooled client gets is reported to the handle's {@link PostgresMonitor}, which
 * the write deadline reads to tell a slow statement from a stalled server.
 *
 * A `databaseUrl` with several hosts or a `target_session_attrs` (`postgres://db1,db2/erp?
 * target_session_attrs=read-write`), which node-postgres does not know, gets a {@link HostChooser}:
 * the pool's and the monitor's connections go to the first host that fits, and follow a failover
 * to the promoted standby by themselves; `onHostChosen` hears of each switch.
 */
export function openPostgres(databaseUrl: string, settings: PoolConfig, onIdleError: IdleErrorListener, onHostChosen?: HostChosenListener): PostgresHandle {
  // Values read back the same on both engines: COUNT(*) and BIGINT as numbers (robusto's counts
  // fit easily), dates as 'YYYY-MM-DD', instants as ISO 8601 strings.
  pg.types.setTypeParser(PG_INT8_OID, (value) => Number.parseInt(value, 10));
  pg.types.setTypeParser(PG_DATE_OID, (value) => value);
  pg.types.setTypeParser(PG_TIMESTAMPTZ_OID, isoInstantOf);
  const target = parseDatabaseUrl(databaseUrl);
  if (typeof target === 'string') throw new Error(`DATABASE_URL is not usable: ${target}`);
  const { connectionString } = target;
  const chooser = target.needsHostChoice
    ? new HostChooser(
        target,
        {
          connectionString,
          connectionTimeoutMillis: settings.connectTimeoutMs,
          query_timeout: settings.connectTimeoutMs,
          statement_timeout: settings.connectTimeoutMs,
        },
        onHostChosen,
      )
    : undefined;
  const Client = chooser ? clientThrough(chooser) : pg.Client;
  const pool = new pg.Pool({
    connectionString,
    ...(chooser ? { Client } : {}),
    max: settings.max,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    idleTimeoutMillis: settings.idleTimeoutMs,
    maxLifetimeSeconds: settings.maxLifetimeSeconds,
    statement_timeout: settings.statementTimeoutMs,
    query_timeout: settings.statementTimeoutMs + CLIENT_READ_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS,
    application_name: 'robusto',
  });
  // Without a listener, an idle client's error (server restart) would crash the process.
  pool.on('error', onIdleError);

  const monitor = new PostgresMonitor(connectionString, Client);
  const checkout = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      // The remembered host failed and was forgotten: the next connection walks the host list.
      if (chooser?.worthRetrying(error)) return pool.connect();
      throw error;
    }
  };
  const connect = async () => releaseBrokenClients(await checkout(), monitor);
  const dialect = new RobustoPostgresDialect({ pool: { connect, end: () => pool.end(), options: pool.options } }, settings.statementTimeoutMs);
  return {
    dialect,
    pool,
    connect,
    monitor,
    dedicated: () => new Client({ connectionString, keepAlive: true, keepAliveInitialDelayMillis: KEEPALIVE_INITIAL_DELAY_MS, application_name: 'robusto' }),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: settings.max }),
  };
}

interface Checkout {
  /** The client as Kysely gets it: its `query` and `release` are the wrappers below. */
  wrapped: pg.PoolClient;
  /** Why the connection broke during the current checkout, if it did. */
  broken: Error | undefined;
}

// NB: one wrapper per pooled client, made on its first checkout and reused: Kysely keeps its
// connection object per client object, so a new wrapper per checkout would also mean a new
// Kysely connection (and listener, bindings and garbage) per query.
const checkouts = new WeakMap<pg.PoolClient, Checkout>();

function releaseBrokenClients(client: pg.PoolClient, monitor: PostgresMonitor): pg.PoolClient {
  let checkout = checkouts.get(client);
  if (!checkout) checkout = wrapClient(client, monitor);
  checkout.broken = undefined;
  return checkout.wrapped;
}

function wrapClient(client: pg.PoolClient, monitor: PostgresMonitor): Checkout {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const checkout: Checkout = { wrapped: Object.create(client) as pg.PoolClient, broken: undefined };
  // Stays for the client's life: while it is idle in the pool the pool's own listener handles
  // errors (and removes the client); a stale error here is cleared at the next checkout.
  client.on('error', (error: Error) => {
    checkout.broken = error;
  });
  const noteAnswer = () => monitor.noteAnswer();
  const noteBroken = (error: unknown) => {
    if (isTransientError(error)) checkout.broken = error as Error;
    else monitor.noteAnswer();
  };
  checkout.wrapped.query = ((...args: unknown[]) => {
    const result = query(...args);
    // The caller gets pg's own promise; this side branch only notes that the server answered
    // (for the write deadline), or that the connection broke. It is registered first, so it has
    // run by the time the caller's code (and its release) runs.
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') result.then(noteAnswer, noteBroken);
    return result;
  }) as pg.PoolClient['query'];
  checkout.wrapped.release = (error?: Error | boolean) => {
    const broken = checkout.broken;
    checkout.broken = undefined;
    // NB: looked up at each release: the pool gives a client a new release function per checkout.
    // NB: Kysely releases with an explicit `false` ("not broken, as far as I know"): only a real
    // error or `true` from the caller outranks what this wrapper saw.
    return client.release(error instanceof Error || error === true ? error : broken);
  };
  checkouts.set(client, checkout);
  return checkout;
}
