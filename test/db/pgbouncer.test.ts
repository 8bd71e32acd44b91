// robusto through PgBouncer in transaction pooling mode, as many instances share a small server:
// two apps on one database through a private PgBouncer of 5 server connections start (and
// migrate) at once, take concurrent writes with one Idempotency-Key, race for the last units of
// a lot, run a cluster job once per slot, keep their statement timeout, serve far more
// concurrent requests than the pooler has server connections, and drain their journals through
// it after an outage. Session state does not survive a transaction there: what robusto keeps
// (the migration lock, the statement timeout) must live inside one.
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import { bindJob } from '../../src/jobs/job.js';
import { JobRunner } from '../../src/jobs/job-runner.js';
import { DatabaseJobStore } from '../../src/jobs/job-store.js';
import { checkDatabase } from '../../src/ops/doctor/checks.js';
import { sleep } from '../../src/shared/sleep.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { countingJob } from '../support/counting-job.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { PGBOUNCER_INSTALLED, startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../support/test-database.js';

/** PgBouncer's `default_pool_size`: far fewer server connections than the apps' pools hold clients. */
const POOL_SIZE = 5;
/** The instances of one installation share their secret: a token one signs, the other accepts. */
const SHARED = { SECRET_KEY: randomBytes(32).toString('hex'), DB_POOL_MAX: '20' };

/** Advisory locks held on `database`'s backends, read on a direct connection (not through PgBouncer). */
async function advisoryLocks(database: TestDatabase): Promise<number> {
  const client = new pg.Client({ connectionString: database.url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = current_database()`,
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

/** Rejects when `work` takes longer than `ms`, naming `what`. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

// CI installs PgBouncer (.ci/run); a developer machine without it skips this file, saying so.
describe.skipIf(!PGBOUNCER_INSTALLED && !process.env.CI)('robusto through PgBouncer (pool_mode = transaction)', () => {
  beforeAll(() => {
    if (!PGBOUNCER_INSTALLED) throw new Error('pgbouncer is not installed (apt-get install pgbouncer): robusto cannot be tested behind it');
  });

  describe('two instances on one database', () => {
    let bouncer: PgBouncer;
    let database: TestDatabase;
    const apps: TestApp[] = [];
    let tenant: TestTenant;
    const [a, b] = [() => apps[0] as TestApp, () => apps[1] as TestApp];
    /** The app of request `i`: requests alternate between the two instances. */
    const appOf = (i: number) => (i % 2 === 0 ? a() : b());

    beforeAll(async () => {
      bouncer = await startPgBouncer({ poolSize: POOL_SIZE });
      database = await createTestDatabase();
      const url = bouncer.urlOf(database.url);
      for (let i = 0; i < 2; i++) apps.push(await buildTestApp({ engine: 'postgres', databaseUrl: url, skipMigrate: true, env: SHARED }));
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await database?.drop();
      await bouncer?.stop();
    });

    it('migrate at once, while other statements share the server connections, and leave no lock held behind', async () => {
      // Other clients keep the pooler's server connections changing hands, as a busy instance does.
      let busy = true;
      const traffic = (async () => {
        while (busy) await Promise.all(Array.from({ length: 4 }, () => sql`select pg_sleep(0.005)`.execute(b().app.db.kysely)));
      })();
      try {
        const migrated = await within(20_000, 'two instances migrating at once', Promise.all([a().app.migrate(), b().app.migrate()]));
        expect(migrated).toEqual([true, true]);
      } finally {
        busy = false;
        await traffic;
      }
      expect(a().app.registry.failed()).toEqual([]);
      expect(b().app.registry.failed()).toEqual([]);
      // A lock left on a server connection would hold every later migration off (until PgBouncer closed that connection).
      expect(await advisoryLocks(database)).toBe(0);
      const third = await within(
        10_000,
        'a third instance migrating',
        buildTestApp({ engine: 'postgres', databaseUrl: bouncer.urlOf(database.url), env: SHARED }),
      );
      apps.push(third);
      expect(third.app.registry.failed()).toEqual([]);
      tenant = await createTenantWithUsers(a(), 'bouncer');
    });

    it('20 rounds of 20 concurrent requests with one Idempotency-Key, across both instances: one row and one outcome each round', async () => {
      const rounds = 20;
      for (let round = 0; round < rounds; round++) {
        const key = randomUUID();
        const body = { kind: 'person', name: `Bouncer ${round}` };
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, i) => call(appOf(i), tenant, { method: 'POST', url: '/api/customers', body, headers: { 'idempotency-key': key } })),
        );
        expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
        expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
      }
      const rows = await a().app.db.kysely.selectFrom('customers').select('id').where('tenant_id', '=', tenant.id).where('name', 'like', 'Bouncer %').execute();
      expect(rows).toHaveLength(rounds);
    });

    it('50 concurrent uses of 1 against a lot of 10, across both instances: exactly 10 succeed and the lot never goes below 0', async () => {
      const product = await call(a(), tenant, { method: 'POST', url: '/api/products', body: { sku: 'OVO-PGB', name: 'Ovos', unit: 'un' } });
      expect(product.statusCode, product.body).toBe(201);
      const lot = await call(a(), tenant, { method: 'POST', url: '/api/stock/lots', body: { productId: product.json().id, code: 'PGB-10', quantity: 10 } });
      expect(lot.statusCode, lot.body).toBe(201);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call(appOf(i), tenant, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'PGB-10', quantity: 1 } })),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(10);
      expect(statuses.filter((s) => s === 409)).toHaveLength(40);
      const stored = await a().app.db.kysely.selectFrom('stock_lots').select('quantity').where('id', '=', lot.json().id).executeTakeFirstOrThrow();
      expect(stored.quantity).toBe(0);
      const outs = await a()
        .app.db.kysely.selectFrom('stock_movements')
        .select('balance_after')
        .where('lot_id', '=', lot.json().id)
        .where('type', '=', 'out')
        .execute();
      expect(outs.map((m) => m.balance_after).sort((x, y) => x - y)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
    });

    it(`200 concurrent writes across both instances, with up to 40 pooled clients over ${POOL_SIZE} server connections: all answered 201`, async () => {
      let clients = 0;
      let servers = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          clients = Math.max(clients, a().app.db.poolStats().total + b().app.db.poolStats().total);
          const pool = await bouncer.pool(new URL(database.url).pathname.slice(1));
          servers = Math.max(servers, pool.serversActive + pool.serversIdle + pool.serversUsed);
          await sleep(10);
        }
      })();
      try {
        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            call(appOf(i), tenant, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: `Crowd ${i}` } }),
          ),
        );
        expect(responses.map((r) => r.statusCode)).toEqual(Array(200).fill(201));
      } finally {
        sampling = false;
        await sampler;
      }
      expect(clients).toBeGreaterThan(POOL_SIZE);
      expect(servers).toBeLessThanOrEqual(POOL_SIZE);
      const rows = await a().app.db.kysely.selectFrom('customers').select('id').where('tenant_id', '=', tenant.id).where('name', 'like', 'Crowd %').execute();
      expect(rows).toHaveLength(200);
    });

    it('a cluster job on both instances runs each slot once, never two at a time', async () => {
      const shared = countingJob(100, 30);
      const runners = [a().app.db, b().app.db, a().app.db, b().app.db].map(
        (db) => new JobRunner([bindJob<void>('test', shared.job, undefined)], { cluster: new DatabaseJobStore(db), log: a().log, alerts: a().app.alerter }),
      );
      const started = Date.now();
      for (const r of runners) r.start();
      await sleep(1_000);
      await Promise.all(runners.map((r) => r.stop()));
      const slots = Math.floor((Date.now() - started) / 100) + 1;
      expect(shared.overlapped()).toBe(false);
      expect(shared.runs()).toBeGreaterThanOrEqual(5);
      expect(shared.runs()).toBeLessThanOrEqual(slots + 1);
    });

    it('DB_STATEMENT_TIMEOUT_MS still cancels a statement, in a write and in a Kysely transaction', async () => {
      const config = { ...a().config, pool: { ...a().config.pool, statementTimeoutMs: 300 } };
      const db = createDb(config, a().log);
      try {
        for (const run of [
          () => db.transaction((tx) => sql`select pg_sleep(3)`.execute(tx)),
          () => db.kysely.transaction().execute((tx) => sql`select pg_sleep(3)`.execute(tx)),
        ]) {
          const started = performance.now();
          const error = await run().catch((e: unknown) => e);
          expect(error).toMatchObject({ code: '57014' });
          expect(performance.now() - started).toBeLessThan(2_000);
        }
        // The connection that ran them serves the next statement with the usual (unlimited here) timeout of a session.
        await db.transaction((tx) => sql`select 1`.execute(tx));
      } finally {
        await db.close();
      }
    });
  });

  it("PgBouncer's own default refuses robusto's connections (statement_timeout at start-up): doctor names the setting to add", async () => {
    const bouncer = await startPgBouncer({ ignoreStartupParameters: [] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-pgbouncer-doctor-'));
    try {
      const { config } = loadConfig({ DATA_DIR: dir, DATABASE_URL: bouncer.urlOf(TEST_DATABASE_URL) }, { cwd: dir, ignoreDotEnv: true });
      const db = createDb(config, pino({ level: 'silent' }));
      try {
        expect(await checkDatabase(db, config)).toMatchObject({
          ok: false,
          detail: expect.stringContaining('unsupported startup parameter: statement_timeout'),
          fix: expect.stringContaining('add it to ignore_startup_parameters in pgbouncer.ini'),
        });
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await bouncer.stop();
    }
  });

  describe('an outage behind PgBouncer', () => {
    let proxy: FaultProxy;
    let bouncer: PgBouncer;
    let database: TestDatabase;
    let t: TestApp;
    let tenant: TestTenant;
    beforeAll(async () => {
      database = await createTestDatabase();
      const server = new URL(database.url);
      // PostgreSQL ← fault proxy ← PgBouncer ← robusto: the cut is between the pooler and the server.
      proxy = await startFaultProxy({ host: server.hostname, port: Number(server.port || 5432) });
      bouncer = await startPgBouncer({ poolSize: POOL_SIZE, upstream: { host: '127.0.0.1', port: Number(new URL(proxy.url(database.url)).port) } });
      t = await buildTestApp({ engine: 'postgres', databaseUrl: bouncer.urlOf(database.url), env: { DB_CONNECT_TIMEOUT_MS: '1000' } });
      tenant = await createTenantWithUsers(t, 'outage');
      t.app.replayer.start();
    });
    afterAll(async () => {
      await t?.close();
      await bouncer?.stop();
      await proxy?.close();
      await database?.drop();
    });

    it('writes while the server is cut off are journaled (202), then replayed through PgBouncer once it is back, each exactly once', async () => {
      expect((await call(t, tenant, { method: 'GET', url: '/api/customers?limit=1' })).statusCode).toBe(200);
      proxy.cut();
      const names = Array.from({ length: 20 }, (_, i) => `Outage ${i}`);
      const responses = await Promise.all(names.map((name) => call(t, tenant, { method: 'POST', url: '/api/customers', body: { kind: 'person', name } })));
      const statuses = responses.map((r) => r.statusCode);
      expect(
        statuses.every((s) => s === 201 || s === 202),
        statuses.join(','),
      ).toBe(true);
      expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(0);
      proxy.pass();
      await vi.waitFor(() => expect(t.app.journal.stats().pending).toBe(0), { timeout: 30_000, interval: 100 });
      const rows = await t.app.db.kysely.selectFrom('customers').select('name').where('tenant_id', '=', tenant.id).where('name', 'like', 'Outage %').execute();
      expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
    }, 60_000);
  });
});
