// The write deadline (DB_WRITE_DEADLINE_MS) cuts an attempt only when the server answers
// nothing: a statement that takes several deadlines on a server that keeps answering completes.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const DEADLINE_MS = 300;

describe('the write deadline on PostgreSQL', () => {
  let pgDatabase: TestDatabase;
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-deadline-'));
    pgDatabase = await createTestDatabase();
    const { config } = loadConfig(
      { DATA_DIR: dir, DB_POOL_MAX: '3', DATABASE_URL: pgDatabase.url, DB_WRITE_DEADLINE_MS: String(DEADLINE_MS) },
      { cwd: dir, ignoreDotEnv: true },
    );
    db = createDb(config, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await db?.close();
    await pgDatabase?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not cut a statement longer than the deadline while the server answers pings', async () => {
    const started = performance.now();
    const result = await db.transaction((tx) => sql<{ done: number }>`select 1 as done from pg_sleep(${(DEADLINE_MS * 4) / 1000})`.execute(tx));
    expect(result.rows).toEqual([{ done: 1 }]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(DEADLINE_MS * 4 - 50);
    expect(db.poolStats()).toMatchObject({ waiting: 0 });
  }, 20_000);
});

describe('the write deadline on a stalled PostgreSQL', () => {
  let server: PrivatePostgres;
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    server = await startPrivatePostgres();
    dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-deadline-'));
    const { config } = loadConfig(
      { DATA_DIR: dir, DB_POOL_MAX: '3', DATABASE_URL: server.url, DB_WRITE_DEADLINE_MS: String(DEADLINE_MS) },
      { cwd: dir, ignoreDotEnv: true },
    );
    db = createDb(config, pino({ level: 'silent' }));
  }, 60_000);
  afterAll(async () => {
    await server?.resume();
    await db?.close();
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('abandons an attempt mid-transaction with ERR_DATABASE_STALLED and destroys its connection; nothing of it is committed', async () => {
    await sql`create table marks (id text primary key)`.execute(db.kysely);
    let reached = '';
    let stall: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => {
      stall = resolve;
    });
    const attempt = db.transaction(async (tx) => {
      await sql`insert into marks values ('before')`.execute(tx);
      reached = 'before';
      stall();
      // The server is stopped while this statement runs.
      await sql`select pg_sleep(2)`.execute(tx);
      reached = 'after';
      await sql`insert into marks values ('after')`.execute(tx);
    });
    attempt.catch(() => undefined);
    await stalled;
    await server.pause();
    const started = performance.now();
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_DATABASE_STALLED' });
    expect(reached).toBe('before');
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS + 1_000);
    // The attempt's client is gone from the pool, not back in it.
    expect(db.poolStats().total).toBe(0);
    const ping = await db.ping().then(
      () => 'answered',
      (error: unknown) => (error as { code?: string }).code,
    );
    expect(ping).toBe('ERR_DATABASE_STALLED');
    await server.resume();
    await expect
      .poll(
        () =>
          db.ping().then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    const rows = await sql<{ id: string }>`select id from marks`.execute(db.kysely);
    expect(rows.rows).toEqual([]);
  }, 30_000);
});
