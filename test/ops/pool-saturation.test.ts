// The watch-pool job on a real PostgreSQL pool: saturated by real long queries, it raises
// `pool_saturated` at the alert receiver once, and `resolved` once the queries are done.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { Alerter } from '../../src/ops/alerts.js';
import { poolWatchJob } from '../../src/ops/pool-watch.js';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('pool saturation on a real PostgreSQL pool', () => {
  let database: TestDatabase;
  let db: Database;
  let receiver: AlertReceiver;
  let dataDir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-pool-'));
    const { config } = loadConfig(
      { DATA_DIR: dataDir, DATABASE_URL: database.url, DB_POOL_MAX: '3', DB_STATEMENT_TIMEOUT_MS: '30000' },
      { cwd: dataDir, ignoreDotEnv: true },
    );
    db = createDb(config, pino({ level: 'silent' }));
    receiver = await startAlertReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('three pg_sleep queries on a pool of 3: one "firing" with the pool\'s figures; done, one "resolved"', async () => {
    const alerts = () => receiver.received.filter((a) => a.kind === 'pool_saturated');
    const job = poolWatchJob(db, new Alerter(receiver.url, pino({ level: 'silent' })), 300);
    const signal = new AbortController().signal;
    const run = () => job.run(undefined, signal);

    // an idle pool (connections opened, then given back): nothing
    await Promise.all(Array.from({ length: 3 }, () => sql`select 1`.execute(db.kysely)));
    for (let i = 0; i < 3; i++) await run();
    expect(db.poolStats()).toMatchObject({ max: 3, waiting: 0 });

    // every connection of the pool busy, and a fourth caller waiting
    let released = false;
    const held = Array.from({ length: 4 }, () => sql`select pg_sleep(4)`.execute(db.kysely).finally(() => (released = true)));
    const deadline = Date.now() + 10_000;
    while (!(db.poolStats().total === 3 && db.poolStats().idle === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(db.poolStats()).toMatchObject({ total: 3, idle: 0, max: 3, waiting: 1 });
    await run(); // saturation starts
    expect(alerts()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    for (let i = 0; i < 5; i++) await run(); // saturated for longer than 300 ms: one alert, not five
    expect(released).toBe(false);
    await expect.poll(() => alerts().length, { timeout: 5_000, interval: 20 }).toBe(1);
    expect(alerts()[0]).toMatchObject({ status: 'firing', details: { total: 3, idle: 0, max: 3, waiting: 1 } });
    expect(alerts()[0]?.details.sinceMs).toBeGreaterThanOrEqual(300);

    await Promise.all(held);
    await run();
    await run();
    await expect.poll(() => alerts().length, { timeout: 5_000, interval: 20 }).toBe(2);
    expect(alerts().map((a) => a.status)).toEqual(['firing', 'resolved']);
    expect(alerts()[1]?.details).toMatchObject({ max: 3, waiting: 0 });
  }, 30_000);
});
