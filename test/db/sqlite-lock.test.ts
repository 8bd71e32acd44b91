import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

/** Milliseconds the other process holds the database's write lock. */
const HELD_MS = 2_000;

/**
 * Another process (not a connection of this one) that takes SQLite's write lock with
 * `BEGIN IMMEDIATE`, says so on stdout, keeps it for `HELD_MS` while it writes, then commits;
 * `done` gives its exit code and the time (epoch ms) it began to let go.
 */
function holdWriteLock(file: string): { locked: Promise<void>; done: Promise<{ code: number | null; releasedAt: number }> } {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const script = `
    const Database = require(${JSON.stringify(driver)});
    const db = new Database(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    db.exec("update tenants set name = name where 1 = 0");
    process.stdout.write('locked\\n');
    const until = Date.now() + ${HELD_MS};
    while (Date.now() < until) {}
    process.stdout.write('releasing ' + Date.now() + '\\n');
    db.exec('COMMIT');
    db.close();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += String(chunk);
      if (output.includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking`)));
  });
  const done = new Promise<{ code: number | null; releasedAt: number }>((resolve) =>
    child.once('close', (code) => resolve({ code, releasedAt: Number(/releasing (\d+)/.exec(output)?.[1] ?? Number.NaN) })),
  );
  return { locked, done };
}

describe('SQLite locked by another process for 2 s', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    tenant = await createTenantWithUsers(t, 'locked');
  });
  afterAll(() => t.close());

  it('a real registration waits for the lock and succeeds (one row, one audit row), and the server keeps answering meanwhile', async () => {
    const holder = holdWriteLock(t.config.paths.sqliteFile);
    await holder.locked;
    const write = call(t, tenant, {
      method: 'POST',
      url: '/api/students',
      as: 'staff',
      body: { name: 'Clara Lima', birthDate: '1991-05-20', plan: 'Pilates' },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The wait is asynchronous: a lock waited for synchronously would hold this answer (and the
    // timer before it) until the other process lets go.
    const live = await t.app.http.inject('/health/live');
    const liveAt = Date.now();
    expect(live.statusCode).toBe(200);
    const response = await write;
    const writtenAt = Date.now();
    const { code, releasedAt } = await holder.done;
    expect(code).toBe(0);
    expect(liveAt, 'answered while the other process still held the lock').toBeLessThan(releasedAt);
    expect(response.statusCode).toBe(201);
    // it could only be written once the other process let go
    expect(writtenAt).toBeGreaterThanOrEqual(releasedAt);
    const id = response.json().id as string;
    const rows = await sql<{ n: number }>`select count(*) as n from students where tenant_id = ${tenant.id} and name = 'Clara Lima'`.execute(t.app.db.kysely);
    expect(Number(rows.rows[0]?.n)).toBe(1);
    const audits = await sql<{ n: number }>`select count(*) as n from audit_log where tenant_id = ${tenant.id} and entity_id = ${id}`.execute(t.app.db.kysely);
    expect(Number(audits.rows[0]?.n)).toBe(1);
  }, 30_000);
});
