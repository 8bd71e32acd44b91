import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const inFlight = Promise.all([1, 2, 3].map(() => sql`select pg_sleep(2)`.execute(db).then(() => 'done', (e: unknown) => e)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.resetAll();
    const outcomes = await inFlight;
    for (const outcome of outcomes) expect(isTransientError(outcome)).toBe(true);
    expect(unhandled).toEqual([]);
    const after = await sql<{ one: number }>`select 1 as one`.execute(db);
    expect(after.rows[0]?.one).toBe(1);
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
      await sql`select 1`.execute(stalled.app.db.kysely);
      proxy.stall();
      const error = await sql`select 1`.execute(stalled.app.db.kysely).then(() => undefined, (e: unknown) => e);
      proxy.pass();
      expect(isTransientError(error)).toBe(true);
      const after = await sql<{ one: number }>`select 1 as one`.execute(stalled.app.db.kysely);
      expect(after.rows[0]?.one).toBe(1);
    } finally {
      proxy.pass();
      await stalled.close();
    }
  }, 20_000);
});
