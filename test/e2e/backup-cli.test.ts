import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase } from '../support/test-database.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function run(args: string[], env: Record<string, string>, dataDir?: string): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({ args, env, ...(dataDir ? { dataDir } : {}) });
  cleanups.push(() => robusto.destroy());
  await robusto.exited;
  return robusto;
}

describe('backup, verify, restore and prune from the command line', () => {
  it('backs up a SQLite installation, verifies it, restores it into a new PostgreSQL database, and refuses to restore over data', async () => {
    const nothing = await run(['backup'], {});
    expect(nothing.child.exitCode).toBe(1);
    expect(nothing.output()).toMatch(/✗ ERR_BACKUP_NO_DATABASE: there is no database at .*robusto\.db/);
    const tenant = await run(['tenant', 'create', 'padaria-central', 'Padaria Central'], {});
    expect(tenant.child.exitCode).toBe(0);
    const dataDir = tenant.dataDir;

    const backup = await run(['backup'], {}, dataDir);
    expect(backup.output()).toMatch(/✓ backup written: .*robusto-backup-\d{8}T\d{9}Z \(\d+ tables, \d+ rows\)/);
    expect(backup.child.exitCode).toBe(0);
    const backups = path.join(dataDir, 'backups');
    const [name] = readdirSync(backups);
    const dir = path.join(backups, name as string);

    const verify = await run(['verify', dir], {}, dataDir);
    expect(verify.output()).toMatch(/✓ backup .* is sound: \d+ tables, made .* from sqlite/);
    expect(verify.child.exitCode).toBe(0);
    const notABackup = await run(['verify', backups], {}, dataDir);
    expect(notABackup.child.exitCode).toBe(1);
    expect(notABackup.output()).toMatch(/✗ ERR_BACKUP_NOT_A_BACKUP: .*manifest\.json/);

    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const restore = await run(['restore', dir], { DATABASE_URL: database.url }, dataDir);
    expect(restore.output()).toMatch(/✓ restored \d+ rows in \d+ tables from .* into postgres/);
    expect(restore.child.exitCode).toBe(0);
    // The tenant made on SQLite is there on PostgreSQL: making it again is refused.
    const again = await run(['tenant', 'create', 'padaria-central', 'Again'], { DATABASE_URL: database.url }, dataDir);
    expect(again.output()).toMatch(/already exists/);
    const twice = await run(['restore', dir], { DATABASE_URL: database.url }, dataDir);
    expect(twice.child.exitCode).toBe(1);
    expect(twice.output()).toMatch(/✗ ERR_BACKUP_TARGET_NOT_EMPTY: this database is in use/);

    const prune = await run(['prune', '--keep-days', '0'], {}, dataDir);
    expect(prune.output()).toMatch(/✓ 0 backup\(s\) older than 0 days deleted/);
    const badPrune = await run(['prune', '--keep-days', 'x'], {}, dataDir);
    expect(badPrune.child.exitCode).toBe(1);
    // eight runs of the binary, two of them migrating a database
  }, 120_000);
});
