// What a backups directory may hold that robusto did not write: a FIFO, a link to a device, a
// gzip bomb. Each is reported as a problem, promptly, without freezing or crashing the process.
// Run as separate processes, each under a deadline: a hang fails the test instead of the run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backupDirName, createBackup } from '../../src/ops/backup/backup.js';
import { MANIFEST_FILE, type BackupManifest } from '../../src/ops/backup/manifest.js';
import { buildTestApp } from '../support/build-app.js';
import { loginAsInitialAdmin, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `promise`, or a rejection after `ms`: what a hang turns into. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `robusto verify <dir>` under a deadline (and a small heap: memory must stay bounded). */
async function verify(dir: string): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({ args: ['verify', dir], nodeArgs: ['--max-old-space-size=96'] });
  cleanups.push(() => robusto.destroy());
  await within(20_000, 'robusto verify', robusto.exited);
  return robusto;
}

describe('a backups directory holding files robusto did not write', () => {
  let root: string;
  let made: { dir: string; manifest: BackupManifest };

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-hostile-'));
    const t = await buildTestApp({ engine: 'sqlite' });
    try {
      made = await createBackup(t.app.db, { root, robustoVersion: 'test' });
    } finally {
      await t.close();
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A copy of the backup whose `table` file is replaced by what `replace` puts at its path; the manifest's hash and size follow a regular file. */
  function copyWith(name: string, table: string, replace: (file: string) => void | Promise<void>): { dir: string; done: Promise<void> } {
    const dir = path.join(root, name);
    cpSync(made.dir, dir, { recursive: true });
    const file = path.join(dir, `${table}.ndjson.gz`);
    unlinkSync(file);
    const done = (async () => {
      await replace(file);
      const stats = statSync(file, { throwIfNoEntry: false });
      if (stats?.isFile()) {
        const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as BackupManifest;
        const entry = manifest.tables.find((t) => t.name === table) as { sha256: string; bytes: number };
        entry.sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
        entry.bytes = stats.size;
        writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
      }
    })();
    return { dir, done };
  }

  it(
    'GET /api/system/backups answers promptly with a FIFO named manifest.json there, reporting it, and /health/live keeps answering; a FIFO named like a restart record does not hang GET /api/system/restarts',
    { timeout: 60_000 },
    async () => {
      const backups = path.join(root, 'served');
      const trap = path.join(backups, backupDirName(new Date()));
      mkdirSync(trap, { recursive: true });
      execFileSync('mkfifo', [path.join(trap, MANIFEST_FILE)]);
      cpSync(made.dir, path.join(backups, path.basename(made.dir)), { recursive: true });
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-hostile-data-'));
      cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
      mkdirSync(path.join(dataDir, 'reports'));
      execFileSync('mkfifo', [path.join(dataDir, 'reports', 'restart-20261202T023000000Z.json')]);
      const server = await spawnRobusto({ dataDir, env: { BACKUP_DIR: backups, BACKUP_SCHEDULE: 'off' } });
      cleanups.push(() => server.destroy());
      await server.waitForReady(30_000);
      const token = await loginAsInitialAdmin(server);
      for (let round = 0; round < 3; round++) {
        const response = await fetch(server.url('/api/system/backups'), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
        expect(response.status).toBe(200);
        const body = (await response.json()) as { items: Array<{ name: string }>; problems: Array<{ name: string; problem: string }> };
        expect(body.items.map((b) => b.name)).toEqual([path.basename(made.dir)]);
        expect(body.problems).toEqual([
          { name: path.basename(trap), problem: expect.stringMatching(/manifest\.json .*named pipe \(FIFO\), not a regular file/) },
        ]);
        const live = await fetch(server.url('/health/live'), { signal: AbortSignal.timeout(2_000) });
        expect(live.status).toBe(200);
        const restarts = await fetch(server.url('/api/system/restarts'), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
        expect(restarts.status).toBe(200);
        expect(await restarts.json()).toEqual({ items: [] });
      }
    },
  );

  it('verify reports a table file linked to /dev/zero as a problem, promptly', { timeout: 60_000 }, async () => {
    const { dir, done } = copyWith('zero', 'customers', (file) => symlinkSync('/dev/zero', file));
    await done;
    const run = await verify(dir);
    expect(run.child.exitCode).toBe(1);
    expect(run.output()).toMatch(/✗ customers \(customers\.ndjson\.gz\): it cannot be read: it is a symbolic link, not a regular file/);
  });

  it(
    'verify reports a small gzip that unpacks to one huge line as a problem, without crashing or holding the line in memory',
    { timeout: 120_000 },
    async () => {
      const { dir, done } = copyWith('bomb', 'customers', async (file) => {
        // 640 MiB of one line, about 650 KB gzipped.
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        const line = async function* () {
          for (let n = 0; n < 640; n++) yield chunk;
        };
        await pipeline(line(), createGzip({ level: 9 }), createWriteStream(file));
      });
      await done;
      expect(statSync(path.join(dir, 'customers.ndjson.gz')).size).toBeLessThan(2_000_000);
      const run = await verify(dir);
      expect(run.output()).toMatch(/✗ customers \(customers\.ndjson\.gz\): it cannot be read back \(a line is longer than \d+ bytes unpacked/);
      expect(run.output()).not.toMatch(/RangeError|heap out of memory/);
      expect(run.child.exitCode).toBe(1);
    },
  );
});
