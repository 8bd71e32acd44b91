// Under the usual umask 022 everything robusto writes in DATA_DIR is for its owner's eyes only:
// the directory 0700, the databases (with their -wal and -shm), the journal, the known users, the
// secret key, logs and backups 0600 (directories 0700). Looser modes left by an older install are
// tightened at start, and `robusto doctor` names them with the chmod that fixes them.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loginAsInitialAdmin, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const running: RobustoProcess[] = [];
let umask: number | undefined;
afterEach(async () => {
  for (const robusto of running.splice(0)) await robusto.destroy();
  if (umask !== undefined) process.umask(umask);
  umask = undefined;
});

function mode(file: string): string {
  return (statSync(file).mode & 0o777).toString(8);
}

/** Every file and directory below `dir`, with `dir` itself. */
function walk(dir: string): string[] {
  return [
    dir,
    ...readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(path.join(entry.parentPath, entry.name)) : [path.join(entry.parentPath, entry.name)],
    ),
  ];
}

async function run(args: string[], dataDir: string, env: Record<string, string> = {}): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({ args, dataDir, env });
  running.push(robusto);
  return robusto;
}

describe('private files', () => {
  it('under umask 022, DATA_DIR is 0700 and every file robusto writes in it 0600 (directories 0700)', async () => {
    umask = process.umask(0o022);
    // An older install's data directory, readable by everyone.
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'robusto-modes-')), 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    expect(mode(dataDir)).toBe('755');

    const server = await run(['serve'], dataDir, { LOG_FILE: 'true' });
    await server.waitForReady(30_000);
    const token = await loginAsInitialAdmin(server);
    const created = await fetch(server.url('/api/students'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Modo Privado', birthDate: '2001-01-01', plan: 'Tarde' }),
    });
    expect(created.status).toBe(201);
    const backup = await run(['backup'], dataDir);
    expect(await backup.exited).toBe(0);

    const entries = walk(dataDir);
    const names = entries.map((e) => path.relative(dataDir, e));
    for (const expected of ['robusto.db', 'robusto.db-wal', 'journal.db', 'principals.db', 'secret.key', 'initial-admin.txt', 'logs', 'backups'])
      expect(names).toContain(expected);
    expect(names.some((n) => n.startsWith('logs/robusto.'))).toBe(true);
    expect(names.some((n) => n.startsWith('backups/robusto-backup-') && n.endsWith('manifest.json'))).toBe(true);
    const loose = entries.filter((e) => mode(e) !== (statSync(e).isDirectory() ? '700' : '600')).map((e) => `${path.relative(dataDir, e) || '.'} ${mode(e)}`);
    expect(loose).toEqual([]);
  }, 60_000);

  it('robusto doctor names looser modes with the chmod that fixes them, and a start tightens them', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-modes-'));
    const first = await run(['serve'], dataDir);
    await first.waitForReady(30_000);
    first.child.kill('SIGTERM');
    await first.exited;
    chmodSync(dataDir, 0o755);
    chmodSync(path.join(dataDir, 'robusto.db'), 0o644);

    const doctor = await run(['doctor', '--json'], dataDir);
    expect(await doctor.exited).toBe(1);
    const report = JSON.parse(doctor.output()) as { checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }> };
    const modes = report.checks.find((c) => c.name === 'file modes');
    expect(modes).toMatchObject({ ok: false, detail: expect.stringContaining(`${path.join(dataDir, 'robusto.db')} (644)`) });
    expect(modes?.fix).toContain(`chmod 700 ${dataDir}`);
    expect(modes?.fix).toContain(`chmod 600 ${path.join(dataDir, 'robusto.db')}`);

    const again = await run(['serve'], dataDir);
    await again.waitForReady(30_000);
    expect(mode(dataDir)).toBe('700');
    expect(mode(path.join(dataDir, 'robusto.db'))).toBe('600');
  }, 60_000);
});
