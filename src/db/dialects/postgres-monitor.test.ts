// Proves PostgresMonitor against the local PostgreSQL server, a fault proxy that stalls it, a port
// that refuses and a server that accepts and never answers: one dedicated connection opened with
// the documented options and reused, concurrent pings sharing one round trip, the instant of the
// last answer kept, a stalled server named within MONITOR_PING_TIMEOUT_MS, a failed, stalled or
// broken connection destroyed and replaced at the next ping, and no ping after close().
import net from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../../test/support/fault-proxy.js';
import { TEST_DATABASE_URL } from '../../../test/support/test-database.js';
import { DatabaseStalledError } from '../database-stalled.js';
import { MONITOR_PING_TIMEOUT_MS, PostgresMonitor } from './postgres-monitor.js';
import { freePort } from '../../../test/support/spawn-robusto.js';

/** What the monitor did with the client class it was given. */
interface Seen {
  configs: unknown[];
  clients: (pg.Client & { ended: boolean; processID: number })[];
  connects: number;
  queries: unknown[];
}

/** A node-postgres client class that records each client made, its options, its connects and queries. */
function countingClient(): { Client: typeof pg.Client; seen: Seen } {
  const seen: Seen = { configs: [], clients: [], connects: 0, queries: [] };
  class CountingClient extends pg.Client {
    ended = false;
    declare processID: number;
    constructor(config: pg.ClientConfig) {
      super(config);
      seen.configs.push(config);
      seen.clients.push(this);
      this.once('end', () => {
        this.ended = true;
      });
      const connect = this.connect.bind(this) as () => Promise<pg.Client>;
      this.connect = (() => {
        seen.connects++;
        return connect();
      }) as pg.Client['connect'];
      const query = this.query.bind(this) as (text: unknown) => Promise<pg.QueryResult>;
      this.query = ((text: unknown) => {
        seen.queries.push(text);
        return query(text);
      }) as pg.Client['query'];
    }
  }
  return { Client: CountingClient, seen };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Waits until `done()` holds, for at most `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('PostgresMonitor', () => {
  const monitors: PostgresMonitor[] = [];
  let silent: net.Server | undefined;
  const silentSockets = new Set<net.Socket>();
  let accepted = 0;
  let proxy: FaultProxy | undefined;

  const monitor = (url = TEST_DATABASE_URL) => {
    const { Client, seen } = countingClient();
    const m = new PostgresMonitor(url, Client);
    monitors.push(m);
    return { m, seen };
  };

  /** A server that accepts connections and never writes a byte. */
  const startSilentServer = async (): Promise<string> => {
    silent = net.createServer((socket) => {
      accepted++;
      silentSockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    return `postgres://postgres@127.0.0.1:${port}/test`;
  };

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const socket of silentSockets) socket.destroy();
    await proxy?.close();
    proxy = undefined;
    await Promise.all(monitors.splice(0).map((m) => m.close()));
    if (silent) await new Promise((resolve) => silent?.close(resolve));
    silent = undefined;
    accepted = 0;
  });

  it('gives a ping 1500 ms', () => {
    expect(MONITOR_PING_TIMEOUT_MS).toBe(1_500);
  });

  it('has seen no answer before the first', () => {
    const { m, seen } = monitor();
    expect(m.lastAnswerAt).toBe(-Infinity);
    expect(seen.connects).toBe(0);
  });

  it('records the instant of an answer reported by another connection', () => {
    const { m } = monitor();
    vi.spyOn(performance, 'now').mockReturnValue(1_234.5);
    m.noteAnswer();
    expect(m.lastAnswerAt).toBe(1_234.5);
  });

  it('pings with select 1, resolving its latency and recording the answer', async () => {
    const { m, seen } = monitor();
    const before = performance.now();
    const latency = await m.ping();
    const after = performance.now();
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThanOrEqual(after - before);
    expect(m.lastAnswerAt).toBeGreaterThanOrEqual(before);
    expect(m.lastAnswerAt).toBeLessThanOrEqual(after);
    expect(seen.queries).toEqual(['select 1']);
    expect(seen.connects).toBe(1);
  });

  it('opens its connection with timeouts just past the ping, keepalive, and its own application name', async () => {
    const { m, seen } = monitor();
    await m.ping();
    expect(seen.configs).toEqual([
      {
        connectionString: TEST_DATABASE_URL,
        connectionTimeoutMillis: 2_000,
        query_timeout: 2_000,
        statement_timeout: 2_000,
        keepAlive: true,
        application_name: 'robusto-monitor',
      },
    ]);
  });

  it('clears the timer of a ping that was answered', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    const { m } = monitor();
    await m.ping();
    const pingTimers = setTimeoutSpy.mock.calls.flatMap((call, i) =>
      call[1] === MONITOR_PING_TIMEOUT_MS ? [setTimeoutSpy.mock.results[i]?.value as unknown] : [],
    );
    expect(pingTimers).toHaveLength(1);
    expect(clearTimeoutSpy).toHaveBeenCalledWith(pingTimers[0]);
  });

  it('shares the ping in flight among concurrent callers, then pings anew on the same connection', async () => {
    const { m, seen } = monitor();
    const first = m.ping();
    const second = m.ping();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(seen.queries).toEqual(['select 1']);
    const third = m.ping();
    expect(third).not.toBe(first);
    await third;
    expect(seen.queries).toEqual(['select 1', 'select 1']);
    expect(seen.connects).toBe(1);
    expect(seen.clients).toHaveLength(1);
  });

  it('ends its connection on close, and fails every ping after it without connecting', async () => {
    const { m, seen } = monitor();
    await m.ping();
    await m.close();
    await turn();
    expect(seen.clients[0]?.ended).toBe(true);
    await expect(m.ping()).rejects.toThrow(/^the database monitor is closed$/);
    expect(seen.connects).toBe(1);
    expect(seen.queries).toHaveLength(1);
  });

  it('closes without having connected, and pings no more', async () => {
    const { m, seen } = monitor();
    await expect(m.close()).resolves.toBeUndefined();
    await expect(m.ping()).rejects.toThrow(/monitor is closed/);
    expect(seen.connects).toBe(0);
  });

  it('closes while its connection is failing', async () => {
    const { m } = monitor(`postgres://postgres@127.0.0.1:${await freePort()}/test`);
    const ping = m.ping().catch((error: unknown) => error);
    await expect(m.close()).resolves.toBeUndefined();
    expect(await ping).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('fails a ping to a refused port with the connection error, keeps the last answer, and connects anew at the next ping', async () => {
    const { m, seen } = monitor(`postgres://postgres@127.0.0.1:${await freePort()}/test`);
    vi.spyOn(performance, 'now').mockReturnValueOnce(42);
    m.noteAnswer();
    await expect(m.ping()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(m.lastAnswerAt).toBe(42);
    expect(seen.connects).toBe(1);
    await expect(m.ping()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(seen.connects).toBe(2);
    expect(seen.queries).toEqual([]);
    expect(m.lastAnswerAt).toBe(42);
  });

  it('names a server that accepts but never answers stalled after MONITOR_PING_TIMEOUT_MS, and connects anew at the next ping', async () => {
    const { m, seen } = monitor(await startSilentServer());
    const started = performance.now();
    const error = await m.ping().catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(DatabaseStalledError);
    expect((error as Error).message).toBe('the database did not answer within 1500 ms');
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(4_000);
    expect(m.lastAnswerAt).toBe(-Infinity);
    expect(seen.connects).toBe(1);
    const next = m.ping().catch((e: unknown) => e);
    expect(seen.connects).toBe(2);
    await until(() => accepted === 2, 1_000);
    for (const socket of silentSockets) socket.destroy();
    expect(await next).toBeInstanceOf(Error);
    expect(seen.queries).toEqual([]);
  });

  it('destroys the connection of a ping the server stopped answering, and pings on a new one once it answers again', async () => {
    const target = new URL(TEST_DATABASE_URL);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const { m, seen } = monitor(proxy.url(TEST_DATABASE_URL));
    await m.ping();
    const answered = m.lastAnswerAt;
    expect(proxy.connections()).toBe(1);
    proxy.stall();
    const started = performance.now();
    const error = await m.ping().catch((e: unknown) => e);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(error).toBeInstanceOf(DatabaseStalledError);
    expect((error as Error).message).toBe('the database did not answer within 1500 ms');
    expect(m.lastAnswerAt).toBe(answered);
    // destroyed at once, long before node-postgres's own query timeout would
    await until(() => seen.clients[0]?.ended === true, 300);
    expect(seen.clients[0]?.ended).toBe(true);
    proxy.pass();
    await m.ping();
    expect(m.lastAnswerAt).toBeGreaterThan(answered);
    expect(seen.connects).toBe(2);
    expect(seen.queries).toEqual(['select 1', 'select 1', 'select 1']);
  });

  it('survives the server ending its idle connection, and reconnects at the next ping', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      const { m, seen } = monitor();
      await m.ping();
      const broken = seen.clients[0];
      const pid = broken?.processID;
      const { rows } = await admin.query<{ application_name: string }>('select application_name from pg_stat_activity where pid = $1', [pid]);
      expect(rows).toEqual([{ application_name: 'robusto-monitor' }]);
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await until(() => broken?.ended === true, 2_000);
      expect(broken?.ended).toBe(true);
      expect(uncaught).toEqual([]);
      const latency = await m.ping();
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(seen.connects).toBe(2);
      expect(seen.clients).toHaveLength(2);
      expect(seen.clients[1]?.processID).not.toBe(pid);
      expect(seen.queries).toEqual(['select 1', 'select 1']);
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
    }
  });
});
