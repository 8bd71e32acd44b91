// openPostgres against the shared local PostgreSQL server: the pool's settings as the server and
// node-postgres see them, the values read back (bigint, date, timestamptz), pool figures, the
// wrapper each checked-out client gets (answers noted for the write deadline, a client broken
// while out destroyed on release), the dedicated client, idle errors, and a multi-host URL whose
// remembered host goes away. isoInstantOf on its own.
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../../test/support/fault-proxy.js';
import { TEST_DATABASE_URL } from '../../../test/support/test-database.js';
import { parseDatabaseUrl } from '../../config/database-url.js';
import { isTransientError } from '../transient-errors.js';
import { CLIENT_READ_TIMEOUT_MARGIN_MS, isoInstantOf, KEEPALIVE_INITIAL_DELAY_MS, openPostgres, type PostgresHandle } from './postgres.js';
import { freePort } from '../../../test/support/spawn-robusto.js';

const POOL = { max: 2, statementTimeoutMs: 4_321, writeDeadlineMs: 1_000, connectTimeoutMs: 2_345, idleTimeoutMs: 10_111, maxLifetimeSeconds: 61 };
const server = new URL(TEST_DATABASE_URL);
const user = decodeURIComponent(server.username) || 'postgres';
const shared = { host: server.hostname, port: Number(server.port || 5432) };
const databaseName = server.pathname.slice(1);

interface ConnectionInternals {
  connection: { _keepAlive: boolean; _keepAliveInitialDelayMillis: number };
  _connected: boolean;
}

interface ProbeInternals {
  host: string;
  port: number;
  _connectionTimeoutMillis: number;
  connectionParameters: { application_name?: string; query_timeout?: number; statement_timeout?: number; database?: string };
}

describe('isoInstantOf', () => {
  it('rearranges a UTC timestamptz into an ISO instant, cutting the fraction to milliseconds', () => {
    expect(isoInstantOf('2024-05-17 12:34:56.123456+00')).toBe('2024-05-17T12:34:56.123Z');
    expect(isoInstantOf('2024-05-17 12:34:56.123999+00')).toBe('2024-05-17T12:34:56.123Z');
    expect(isoInstantOf('2024-05-17 12:34:56.1239+00')).toBe('2024-05-17T12:34:56.123Z');
    expect(isoInstantOf('1999-12-31 23:59:59.987+00')).toBe('1999-12-31T23:59:59.987Z');
  });

  it('gives .000 without a fraction and pads a short fraction with zeros', () => {
    expect(isoInstantOf('2024-05-17 12:34:56+00')).toBe('2024-05-17T12:34:56.000Z');
    expect(isoInstantOf('2024-05-17 12:34:56.5+00')).toBe('2024-05-17T12:34:56.500Z');
    expect(isoInstantOf('2024-05-17 12:34:56.05+00')).toBe('2024-05-17T12:34:56.050Z');
    expect(isoInstantOf('2024-05-17 12:34:56.007+00')).toBe('2024-05-17T12:34:56.007Z');
  });

  it('goes through Date for any other offset, with or without minutes', () => {
    expect(isoInstantOf('2024-05-17 12:34:56.1+02')).toBe('2024-05-17T10:34:56.100Z');
    expect(isoInstantOf('2024-05-17 12:34:56-03')).toBe('2024-05-17T15:34:56.000Z');
    expect(isoInstantOf('2024-05-17 12:34:56.1+05:30')).toBe('2024-05-17T07:04:56.100Z');
    expect(isoInstantOf('2024-05-17 12:34:56.5+00:30')).toBe('2024-05-17T12:04:56.500Z');
    expect(isoInstantOf('2024-01-01 00:30:00.25-01')).toBe('2024-01-01T01:30:00.250Z');
    expect(isoInstantOf('2024-05-17 12:34:56.1234567+00')).toBe('2024-05-17T12:34:56.123Z');
  });

  it("keeps the server's text of a value no Date can hold", () => {
    for (const value of ['infinity', '-infinity', '0044-03-15 12:00:00+00 BC', '12024-05-17 12:34:56+00', 'x2024-05-17 12:34:56+00']) {
      expect(isoInstantOf(value)).toBe(value);
    }
  });
});

describe('openPostgres', () => {
  const handles: PostgresHandle[] = [];
  const proxies: FaultProxy[] = [];
  const admins: pg.Client[] = [];
  let dead: number;

  function open(url = TEST_DATABASE_URL, onIdleError = vi.fn(), onHostChosen = vi.fn()): PostgresHandle {
    const handle = openPostgres(url, POOL, onIdleError, onHostChosen);
    handles.push(handle);
    return handle;
  }

  /** A connection of our own, outside any pool. */
  async function admin(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    client.on('error', () => undefined);
    admins.push(client);
    await client.connect();
    return client;
  }

  async function pidOf(client: pg.ClientBase): Promise<number> {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    return rows[0]?.pid as number;
  }

  async function valueOf(client: pg.ClientBase, text: string): Promise<unknown> {
    const { rows } = await client.query<{ value: unknown }>(text);
    return rows[0]?.value;
  }

  beforeAll(async () => {
    dead = await freePort();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(
      handles.splice(0).map(async (h) => {
        // a test that failed midway may leave a client checked out, which pool.end() would wait for
        const pool = h.pool as unknown as { _clients: pg.PoolClient[]; _idle: Array<{ client: pg.PoolClient }> };
        for (const client of pool._clients) if (!pool._idle.some((idle) => idle.client === client)) client.release(true);
        if (!h.pool.ending) await h.pool.end();
        await h.monitor.close();
      }),
    );
    await Promise.all(admins.splice(0).map((c) => c.end().catch(() => undefined)));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  it('refuses a URL it cannot use, saying why', () => {
    const url = 'mysql://root@127.0.0.1/test';
    const reason = parseDatabaseUrl(url);
    expect(typeof reason).toBe('string');
    expect(() => openPostgres(url, POOL, vi.fn())).toThrow(new Error(`DATABASE_URL is not usable: ${reason as string}`));
    expect(() => openPostgres('postgres://a,b/test?target_session_attrs=fast', POOL, vi.fn())).toThrow(/^DATABASE_URL is not usable: /);
  });

  it('builds the pool with robusto’s size, timeouts, keep-alive and application name', async () => {
    expect(CLIENT_READ_TIMEOUT_MARGIN_MS).toBe(5_000);
    expect(KEEPALIVE_INITIAL_DELAY_MS).toBe(10_000);
    const handle = open();
    expect(handle.pool.options).toMatchObject({
      connectionString: TEST_DATABASE_URL,
      max: 2,
      connectionTimeoutMillis: 2_345,
      idleTimeoutMillis: 10_111,
      maxLifetimeSeconds: 61,
      statement_timeout: 4_321,
      query_timeout: 9_321,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'robusto',
    });
    expect(handle.pool.options.Client).toBeUndefined();
    const client = await handle.connect();
    try {
      expect(await valueOf(client, "select current_setting('statement_timeout') as value")).toBe('4321ms');
      expect(await valueOf(client, "select current_setting('application_name') as value")).toBe('robusto');
      expect((client as unknown as ConnectionInternals).connection._keepAlive).toBe(true);
      expect((client as unknown as ConnectionInternals).connection._keepAliveInitialDelayMillis).toBe(10_000);
    } finally {
      client.release();
    }
  });

  it('reads a bigint as a number, a date as YYYY-MM-DD and a timestamptz as an ISO instant', async () => {
    const handle = open();
    const client = await handle.connect();
    try {
      expect(await valueOf(client, 'select 12345678901::int8 as value')).toBe(12_345_678_901);
      expect(await valueOf(client, 'select count(*) as value from generate_series(1, 3)')).toBe(3);
      expect(await valueOf(client, "select '2024-05-17'::date as value")).toBe('2024-05-17');
      await client.query("set time zone 'UTC'");
      expect(await valueOf(client, "select '2024-05-17 12:34:56.123456+00'::timestamptz as value")).toBe('2024-05-17T12:34:56.123Z');
      await client.query("set time zone 'Asia/Kolkata'");
      expect(await valueOf(client, "select '2024-05-17 12:34:56.5+00'::timestamptz as value")).toBe('2024-05-17T12:34:56.500Z');
      expect(await valueOf(client, "select 'infinity'::timestamptz as value")).toBe('infinity');
    } finally {
      client.release(true);
    }
  });

  it('gives the pool’s figures: clients total, idle and waiting, and its size', async () => {
    const handle = open();
    expect(handle.stats()).toEqual({ total: 0, idle: 0, waiting: 0, max: 2 });
    const first = await handle.connect();
    expect(handle.stats()).toEqual({ total: 1, idle: 0, waiting: 0, max: 2 });
    first.release();
    expect(handle.stats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 2 });
    const [a, b] = await Promise.all([handle.connect(), handle.connect()]);
    const third = handle.connect();
    expect(handle.stats()).toEqual({ total: 2, idle: 0, waiting: 1, max: 2 });
    a.release();
    (await third).release();
    b.release();
    expect(handle.stats()).toEqual({ total: 2, idle: 2, waiting: 0, max: 2 });
  });

  it('notes each answer of the server on the monitor, a server error too, but not a connection that broke', async () => {
    const handle = open();
    expect(handle.monitor.lastAnswerAt).toBe(-Infinity);
    const client = await handle.connect();
    const beforeQuery = performance.now();
    await client.query('select 1');
    const afterQuery = handle.monitor.lastAnswerAt;
    expect(afterQuery).toBeGreaterThanOrEqual(beforeQuery);
    expect(afterQuery).toBeLessThanOrEqual(performance.now());

    const beforeError = performance.now();
    const syntax = await client.query('selec 1').catch((e: unknown) => e);
    expect(syntax).toMatchObject({ code: '42601' });
    const afterError = handle.monitor.lastAnswerAt;
    expect(afterError).toBeGreaterThanOrEqual(beforeError);

    const rows = await new Promise<unknown[]>((resolve, reject) => {
      client.query('select 2 as value', (error: Error | null, result: pg.QueryResult) => (error ? reject(error) : resolve(result.rows)));
    });
    expect(rows).toEqual([{ value: 2 }]);

    const cut = await client.query('select pg_terminate_backend(pg_backend_pid())').catch((e: unknown) => e);
    expect(isTransientError(cut)).toBe(true);
    expect(handle.monitor.lastAnswerAt).toBe(afterError);
    client.release();
  });

  it('hands out the same wrapper for the same pooled client at each checkout', async () => {
    const handle = open();
    const first = await handle.connect();
    const pid = await pidOf(first);
    first.release();
    const second = await handle.connect();
    expect(second).toBe(first);
    expect(await pidOf(second)).toBe(pid);
    second.release();
  });

  it('destroys on release a client whose server process was terminated while it was checked out', async () => {
    const handle = open();
    const client = await handle.connect();
    const pid = await pidOf(client);
    const pooled = Object.getPrototypeOf(client) as pg.PoolClient;
    const ended = new Promise<void>((resolve) => pooled.once('end', () => resolve()));
    await (await admin()).query('select pg_terminate_backend($1)', [pid]);
    await ended;
    const error = await client.query('select 1').catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'Client has encountered a connection error and is not queryable' });
    expect(isTransientError(error)).toBe(true);
    expect(handle.pool.totalCount).toBe(1);
    client.release();
    expect(handle.pool.totalCount).toBe(0);
    const next = await handle.connect();
    expect(await pidOf(next)).not.toBe(pid);
    next.release();
  });

  it('destroys a client released with false after a transient error, as Kysely releases, and keeps one after a permanent error', async () => {
    const handle = open();
    const client = await handle.connect();
    const pid = await pidOf(client);
    await expect(client.query('select 1/0')).rejects.toMatchObject({ code: '22012' });
    client.release(false);
    const again = await handle.connect();
    expect(await pidOf(again)).toBe(pid);
    const serialization = await again.query("do $$ begin raise exception 'conflict' using errcode = '40001'; end $$").catch((e: unknown) => e);
    expect(serialization).toMatchObject({ code: '40001' });
    again.release(false);
    expect(handle.pool.totalCount).toBe(0);
    const fresh = await handle.connect();
    expect(await pidOf(fresh)).not.toBe(pid);
    fresh.release();
  });

  it('keeps a client released with false or nothing after normal queries, and destroys one released with true or an error', async () => {
    const handle = open();
    const client = await handle.connect();
    const pid = await pidOf(client);
    client.release(false);
    const kept = await handle.connect();
    expect(await pidOf(kept)).toBe(pid);
    kept.release();
    const keptAgain = await handle.connect();
    expect(await pidOf(keptAgain)).toBe(pid);
    keptAgain.release(true);
    expect(handle.pool.totalCount).toBe(0);
    const other = await handle.connect();
    const otherPid = await pidOf(other);
    expect(otherPid).not.toBe(pid);
    other.release(new Error('the caller saw it break'));
    expect(handle.pool.totalCount).toBe(0);
    const last = await handle.connect();
    expect(await pidOf(last)).not.toBe(otherPid);
    last.release();
  });

  it('does not let an error noted after a release poison the next checkout of that client', async () => {
    const handle = open();
    const client = await handle.connect();
    const pid = await pidOf(client);
    const late = client.query("do $$ begin perform pg_sleep(0.05); raise exception 'conflict' using errcode = '40001'; end $$").catch((e: unknown) => e);
    client.release(false);
    expect(await late).toMatchObject({ code: '40001' });
    const next = await handle.connect();
    expect(next).toBe(client);
    expect(await pidOf(next)).toBe(pid);
    next.release(false);
    const again = await handle.connect();
    expect(await pidOf(again)).toBe(pid);
    again.release();
  });

  it('gives a dedicated client outside the pool, not connected, with keep-alive, the application name and no statement timeout', async () => {
    const handle = open();
    const client = handle.dedicated();
    expect(client).toBeInstanceOf(pg.Client);
    expect(handle.dedicated()).not.toBe(client);
    const internals = client as unknown as ConnectionInternals;
    expect(internals._connected).toBe(false);
    expect(internals.connection._keepAlive).toBe(true);
    expect(internals.connection._keepAliveInitialDelayMillis).toBe(10_000);
    await client.connect();
    try {
      expect(await valueOf(client, "select current_setting('application_name') as value")).toBe('robusto');
      expect(await valueOf(client, "select current_setting('statement_timeout') as value")).toBe('0');
      expect(handle.pool.totalCount).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('reports an error of an idle client to onIdleError', async () => {
    const onIdleError = vi.fn();
    const handle = open(TEST_DATABASE_URL, onIdleError);
    const client = await handle.connect();
    const pid = await pidOf(client);
    client.release();
    expect(onIdleError).not.toHaveBeenCalled();
    await (await admin()).query('select pg_terminate_backend($1)', [pid]);
    await vi.waitFor(() => expect(onIdleError).toHaveBeenCalled());
    expect(onIdleError.mock.calls[0]?.[0]).toMatchObject({ code: '57P01' });
    await vi.waitFor(() => expect(handle.pool.totalCount).toBe(0));
  });

  it('runs Kysely over its dialect, whose destroy ends the pool', async () => {
    const handle = open();
    const db = new Kysely<Record<string, never>>({ dialect: handle.dialect });
    const first = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    const second = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
    expect(second.rows[0]?.pid).toBe(first.rows[0]?.pid);
    expect(handle.stats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 2 });
    await db.destroy();
    expect(handle.pool.ending).toBe(true);
  });

  it('does not retry a connection that failed for another reason than a forgotten host', async () => {
    const single = open(`postgres://${user}@127.0.0.1:${dead}/${databaseName}`);
    const connect = vi.spyOn(single.pool, 'connect');
    await expect(single.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(connect).toHaveBeenCalledTimes(1);

    const several = open(`postgres://${user}@127.0.0.1:${dead},127.0.0.1:${dead}/${databaseName}?target_session_attrs=read-write`);
    const connectSeveral = vi.spyOn(several.pool, 'connect');
    await expect(several.connect()).rejects.toMatchObject({ name: 'NoDatabaseHostError' });
    expect(connectSeveral).toHaveBeenCalledTimes(1);
  });

  describe('with several hosts', () => {
    it('chooses the first host that fits for the pool, the monitor and dedicated clients', async () => {
      const onHostChosen = vi.fn();
      const handle = open(
        `postgres://${user}@127.0.0.1:${dead},${shared.host}:${shared.port}/${databaseName}?target_session_attrs=read-write`,
        vi.fn(),
        onHostChosen,
      );
      const connects = vi.spyOn(pg.Client.prototype, 'connect');
      const Client = handle.pool.options.Client as typeof pg.Client;
      expect(Client).not.toBe(pg.Client);
      expect(Client.prototype).toBeInstanceOf(pg.Client);
      const client = await handle.connect();
      try {
        expect(await valueOf(client, "select current_setting('transaction_read_only') as value")).toBe('off');
      } finally {
        client.release();
      }
      expect(onHostChosen.mock.calls).toEqual([[shared, undefined, 'read-write']]);
      const probes = (connects.mock.contexts as unknown as ProbeInternals[]).filter((c) => c.connectionParameters.application_name === 'robusto-host-check');
      expect(probes.map((c) => `${c.host}:${c.port}`)).toEqual([`127.0.0.1:${dead}`, `${shared.host}:${shared.port}`]);
      for (const probe of probes) {
        expect(probe._connectionTimeoutMillis).toBe(2_345);
        expect(probe.connectionParameters.query_timeout).toBe(2_345);
        expect(probe.connectionParameters.statement_timeout).toBe(2_345);
        expect(probe.connectionParameters.database).toBe(databaseName);
      }
      expect(await handle.monitor.ping()).toBeGreaterThan(0);
      const dedicated = handle.dedicated();
      expect(dedicated).toBeInstanceOf(Client);
      await dedicated.connect();
      expect(await valueOf(dedicated, 'select 1 as value')).toBe(1);
      await dedicated.end();
      expect(onHostChosen).toHaveBeenCalledTimes(1);
    });

    it('retries a checkout at once on the next host when the remembered one has gone away', async () => {
      const proxy = await startFaultProxy({ host: shared.host, port: shared.port });
      proxies.push(proxy);
      const onHostChosen = vi.fn();
      const onIdleError = vi.fn();
      const handle = open(
        `postgres://${user}@127.0.0.1:${proxy.port},${shared.host}:${shared.port}/${databaseName}?target_session_attrs=read-write`,
        onIdleError,
        onHostChosen,
      );
      const first = await handle.connect();
      expect(await valueOf(first, 'select 1 as value')).toBe(1);
      first.release();
      proxy.cut();
      await vi.waitFor(() => expect(handle.pool.totalCount).toBe(0));
      expect(onIdleError).toHaveBeenCalled();
      const connect = vi.spyOn(handle.pool, 'connect');
      const second = await handle.connect();
      try {
        expect(await valueOf(second, 'select 2 as value')).toBe(2);
      } finally {
        second.release();
      }
      expect(connect).toHaveBeenCalledTimes(2);
      expect(onHostChosen.mock.calls).toEqual([
        [{ host: '127.0.0.1', port: proxy.port }, undefined, 'read-write'],
        [shared, { host: '127.0.0.1', port: proxy.port }, 'read-write'],
      ]);
      expect(proxy.connections()).toBe(0);
    });
  });
});
