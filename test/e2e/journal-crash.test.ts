// kill -9 of robusto with writes acknowledged (202) in its journal: the restarted process
// replays them, each exactly once.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLAY_MAX_UNFINISHED_ATTEMPTS } from '../../src/resilience/replayer.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { fixtureModule } from '../support/fixtures.js';
import { loginAsInitialAdmin, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase } from '../support/test-database.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(env: Record<string, string>, dataDir?: string): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({ env, ...(dataDir ? { dataDir } : {}) });
  cleanups.push(() => robusto.destroy());
  await robusto.waitForReady();
  return robusto;
}

/** Starts robusto behind a proxy, cuts the database, has `count` writes acknowledged with 202, then kills it with SIGKILL. */
async function acknowledgedThenKilled(count: number, prefix: string) {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const target = new URL(database.url);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanups.push(() => proxy.close());
  const env = { DATABASE_URL: proxy.url(database.url), DB_CONNECT_TIMEOUT_MS: '1000' };

  const first = await started(env);
  const token = await loginAsInitialAdmin(first);
  const post = (name: string) =>
    fetch(first.url('/api/students'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name, birthDate: '2001-01-01', plan: 'Tarde' }),
    });
  proxy.cut();
  const names = Array.from({ length: count }, (_, i) => `${prefix} ${i}`);
  const statuses = await Promise.all(names.map(async (name) => (await post(name)).status));
  expect(statuses).toEqual(Array(count).fill(202));
  first.child.kill('SIGKILL');
  await first.exited;
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  cleanups.push(() => client.end());
  const rowsNamed = async () =>
    (await client.query<{ name: string }>(`select name from students where name like $1`, [`${prefix} %`])).rows.map((r) => r.name).sort();
  return { env, proxy, dataDir: first.dataDir, names: names.sort(), rowsNamed };
}

async function cli(args: string[], env: Record<string, string>, dataDir: string): Promise<{ code: number | null; output: string }> {
  const run = await spawnRobusto({ args, env, dataDir });
  cleanups.push(() => run.destroy());
  const code = await run.exited;
  return { code, output: run.output() };
}

describe('kill -9 with a journal full of acknowledged writes', () => {
  it('the restarted process replays every 202 exactly once', async () => {
    const { env, proxy, dataDir, names, rowsNamed } = await acknowledgedThenKilled(20, 'Crash Student');
    const status = await cli(['journal', 'status', '--json'], env, dataDir);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.output.slice(status.output.indexOf('{\n')))).toMatchObject({ pending: 20, deadLetters: 0, writable: true });

    proxy.pass();
    const second = await started(env, dataDir);
    const deadline = Date.now() + 30_000;
    let rows: string[] = [];
    while (Date.now() < deadline) {
      rows = await rowsNamed();
      const health = (await (await fetch(second.url('/health'))).json()) as { checks: Record<string, Array<{ observedValue: { depth: number } }>> };
      if (rows.length >= 20 && health.checks['journal:depth']?.[0]?.observedValue.depth === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(rows).toEqual(names);
    expect(second.lines().some((l) => l.msg === 'journal replayed')).toBe(true);
  }, 90_000);

  it('its journal files copied into another DATA_DIR (another machine): robusto started there applies every 202 exactly once', async () => {
    const { env, proxy, dataDir, names, rowsNamed } = await acknowledgedThenKilled(10, 'Moved Journal');
    // Only the journal's files, as an operator copies them from a dead machine's disk: the
    // SQLite file and, after a crash, its write-ahead log, which holds the latest entries.
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'robusto-moved-journal-'));
    cleanups.push(async () => rmSync(elsewhere, { recursive: true, force: true }));
    const copied = ['journal.db', 'journal.db-wal', 'journal.db-shm'].filter((file) => existsSync(path.join(dataDir, file)));
    for (const file of copied) copyFileSync(path.join(dataDir, file), path.join(elsewhere, file));
    expect(copied).toContain('journal.db');
    const before = await cli(['journal', 'status', '--json'], env, elsewhere);
    expect(JSON.parse(before.output.slice(before.output.indexOf('{\n')))).toMatchObject({ pending: 10, deadLetters: 0 });

    proxy.pass();
    const there = await started(env, elsewhere);
    const deadline = Date.now() + 30_000;
    while ((await rowsNamed()).length < names.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await rowsNamed()).toEqual(names);
    await there.waitForLine((l) => l.msg === 'journal replayed');
    const after = await cli(['journal', 'status', '--json'], env, elsewhere);
    expect(JSON.parse(after.output.slice(after.output.indexOf('{\n')))).toMatchObject({ pending: 0, deadLetters: 0 });
  }, 90_000);

  it('"robusto journal replay" applies them without a server, and says so', async () => {
    const { env, proxy, dataDir, names, rowsNamed } = await acknowledgedThenKilled(5, 'Cli Replay');
    const blocked = await cli(['journal', 'replay'], env, dataDir);
    expect(blocked.code).toBe(1);
    proxy.pass();
    const replay = await cli(['journal', 'replay'], env, dataDir);
    expect(replay.output).toContain('✓ journal replayed: 5 applied, none pending');
    expect(replay.code).toBe(0);
    expect(await rowsNamed()).toEqual(names);
    const again = await cli(['journal', 'replay'], env, dataDir);
    expect(again.output).toContain('✓ journal replayed: 0 applied');
    expect(await rowsNamed()).toEqual(names);
  }, 90_000);

  it(`a journaled write that kills the process whenever it is applied: after ${REPLAY_MAX_UNFINISHED_ATTEMPTS} deaths in replay (three real restarts) it is parked as dead; the writes around it apply once each, and the server stays up`, async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const target = new URL(database.url);
    const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const env = { DATABASE_URL: proxy.url(database.url), DB_CONNECT_TIMEOUT_MS: '1000', ROBUSTO_MODULES: fixtureModule('kills_replay') };
    const first = await started(env);
    const token = await loginAsInitialAdmin(first);
    const post = (url: string, body: unknown) =>
      fetch(first.url(url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      }).then((r) => r.status);
    proxy.cut();
    expect(await post('/api/students', { name: 'Before Bomb', birthDate: '2001-01-01', plan: 'Tarde' })).toBe(202);
    expect(await post('/api/kills_replay', {})).toBe(202);
    expect(await post('/api/students', { name: 'After Bomb', birthDate: '2001-01-01', plan: 'Tarde' })).toBe(202);
    proxy.pass();
    // Each start replays until the write kills it: the first one, then three restarts.
    let deaths = 0;
    let server: RobustoProcess = first;
    for (;;) {
      const outcome = await Promise.race([
        server.exited.then(() => 'died' as const),
        new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), 15_000)),
      ]);
      if (outcome === 'alive') break;
      deaths++;
      expect(deaths).toBeLessThanOrEqual(REPLAY_MAX_UNFINISHED_ATTEMPTS);
      server = await spawnRobusto({ env, dataDir: first.dataDir });
      cleanups.push(() => server.destroy());
    }
    expect(deaths).toBe(REPLAY_MAX_UNFINISHED_ATTEMPTS);
    await server.waitForReady(30_000);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    cleanups.push(() => client.end());
    const names = (await client.query<{ name: string }>(`select name from students where name like '% Bomb' order by name`)).rows.map((r) => r.name);
    expect(names).toEqual(['After Bomb', 'Before Bomb']);
    const status = await cli(['journal', 'status', '--json'], env, first.dataDir);
    expect(JSON.parse(status.output.slice(status.output.indexOf('{\n')))).toMatchObject({ pending: 0, deadLetters: 1 });
    const dead = await cli(['journal', 'dead-letters'], env, first.dataDir);
    expect(dead.output).toContain('kills_replay.explode');
  }, 180_000);
});
