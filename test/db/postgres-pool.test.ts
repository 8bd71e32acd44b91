import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isTransientError } from '../../src/db/transient-errors.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import type { TestDatabase } from '../support/test-database.js';

describe('PostgreSQL pool under connection faults', () => {
  let env: AppBehindProxy;
  let database: TestDatabase;
  let proxy: FaultProxy;
  let t: TestApp;
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown): void => {
    unhandled.push(error);
  };

  /** Server processes of this database whose current query matches `like` (or the one `pid`), asked on a connection of our own. */
  const serverPids = async (like: string, pid?: number): Promise<number[]> => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like $1 and ($2::int is null or pid = $2)`,
        [like, pid ?? null],
      );
      return rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    process.on('uncaughtException', onUnhandled);
    env = await buildAppBehindProxy();
    ({ t, proxy, database } = env);
  });
  afterAll(async () => {
    process.off('uncaughtException', onUnhandled);
    await env.close();
  });

  it('a reset during a query rejects that query as transient, never crashes, and the pool replaces the connection', async () => {
    const db = t.app.db.kysely;
    const inFlight = Promise.all(
      [1, 2, 3].map(() =>
        sql`select pg_sleep(2) as robusto_pool_test`.execute(db).then(
          () => 'done',
          (e: unknown) => e,
        ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    // the server processes serving those three queries, seen from a connection of our own
    const broken = await serverPids(`%robusto_pool_test%`);
    expect(broken).toHaveLength(3);
    proxy.resetAll();
    const outcomes = await inFlight;
    for (const outcome of outcomes) expect(isTransientError(outcome)).toBe(true);
    expect(unhandled).toEqual([]);
    // none of the broken connections serves again: every connection the pool now hands out is new
    const after = await Promise.all([1, 2, 3].map(() => sql<{ pid: number }>`select pg_backend_pid() as pid, pg_sleep(0.05)`.execute(db)));
    for (const result of after) expect(broken).not.toContain(result.rows[0]?.pid);
    expect(t.app.db.poolStats().total).toBeLessThanOrEqual(t.config.pool.max);
  });

  it('a stalled connection is given up by the client read timeout and destroyed, not reused', async () => {
    const stalled = await buildTestApp({
      engine: 'postgres',
      databaseUrl: proxy.url(database.url),
      env: { DB_STATEMENT_TIMEOUT_MS: '200', DB_CONNECT_TIMEOUT_MS: '1000' },
      skipMigrate: true,
    });
    try {
      const before = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(stalled.app.db.kysely);
      const stalledPid = before.rows[0]?.pid as number;
      expect(stalled.app.db.poolStats().total).toBe(1);
      proxy.stall();
      const error = await sql`select 1`.execute(stalled.app.db.kysely).then(
        () => undefined,
        (e: unknown) => e,
      );
      proxy.pass();
      expect(isTransientError(error)).toBe(true);
      // destroyed: the next query gets a new connection, the pool holds only that one, and the
      // broken one's server process is gone
      const after = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(stalled.app.db.kysely);
      expect(after.rows[0]?.pid).not.toBe(stalledPid);
      expect(stalled.app.db.poolStats().total).toBe(1);
      await vi.waitFor(async () => expect(await serverPids('%', stalledPid)).toEqual([]), { timeout: 5_000 });
    } finally {
      proxy.pass();
      await stalled.close();
    }
  }, 20_000);
});
