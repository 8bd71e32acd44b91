import { cpSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase } from '../support/test-database.js';

/** Every table of a SQLite file with its row count. */
function sqliteCounts(file: string): Record<string, number> {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table' order by name").all() as Array<{ name: string }>;
    return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** Every table of a PostgreSQL database's public schema with its row count. */
async function postgresCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    const counts: Record<string, number> = {};
    for (const { table_name: name } of rows) counts[name] = Number((await client.query<{ n: string }>(`select count(*) as n from "${name}"`)).rows[0]?.n);
    return counts;
  } finally {
    await client.end();
  }
}

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

  it('a damaged backup (a byte flipped in a table file, a table file cut short): verify and restore exit 1 naming the file, and no database is touched', async () => {
    const tenant = await run(['tenant', 'create', 'padaria-central', 'Padaria Central'], {});
    expect(tenant.child.exitCode).toBe(0);
    const dataDir = tenant.dataDir;
    const backup = await run(['backup'], {}, dataDir);
    expect(backup.child.exitCode).toBe(0);
    const backups = path.join(dataDir, 'backups');
    const sound = path.join(backups, readdirSync(backups)[0] as string);
    // the table file with the most rows (the tenant's audit rows, users…)
    const manifest = JSON.parse(readFileSync(path.join(sound, 'manifest.json'), 'utf8')) as {
      tables: Array<{ name: string; file: string; rows: number; bytes: number }>;
    };
    const victim = [...manifest.tables].sort((a, b) => b.rows - a.rows)[0] as { name: string; file: string; rows: number; bytes: number };
    expect(victim.rows).toBeGreaterThan(0);

    const flipped = `${sound}-flipped`;
    cpSync(sound, flipped, { recursive: true });
    const bytes = readFileSync(path.join(flipped, victim.file));
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(path.join(flipped, victim.file), bytes);
    const truncated = `${sound}-truncated`;
    cpSync(sound, truncated, { recursive: true });
    truncateSync(path.join(truncated, victim.file), Math.floor(victim.bytes / 2));

    const installation = path.join(dataDir, 'robusto.db');
    const installed = sqliteCounts(installation);
    expect(installed.tenants).toBeGreaterThan(0);
    for (const damaged of [flipped, truncated]) {
      const verify = await run(['verify', damaged], {}, dataDir);
      expect(verify.child.exitCode, verify.output()).toBe(1);
      expect(verify.output()).toContain(`✗ ${victim.name} (${victim.file}): `);
      expect(verify.output()).toMatch(
        damaged === flipped ? /SHA-256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}: the file was altered or damaged/ : /altered or damaged/,
      );
      expect(verify.output()).not.toMatch(/✓/);

      // into a new PostgreSQL database: refused before anything is created in it
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      expect(await postgresCounts(database.url)).toEqual({});
      const restore = await run(['restore', damaged], { DATABASE_URL: database.url }, dataDir);
      expect(restore.child.exitCode, restore.output()).toBe(1);
      expect(restore.output()).toMatch(/✗ ERR_BACKUP_DAMAGED: the backup in .* is damaged, nothing was restored: /);
      expect(restore.output()).toContain(`${victim.name} (${victim.file})`);
      expect(restore.output()).not.toMatch(/✓ restored/);
      expect(await postgresCounts(database.url)).toEqual({});

      // over the installation in use: refused, every table as it was
      const over = await run(['restore', damaged], {}, dataDir);
      expect(over.child.exitCode, over.output()).toBe(1);
      expect(over.output()).toMatch(/✗ ERR_BACKUP_/);
      expect(sqliteCounts(installation)).toEqual(installed);
    }
    // the sound backup still restores (the damage, not the setup, was refused)
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const restore = await run(['restore', sound], { DATABASE_URL: database.url }, dataDir);
    expect(restore.child.exitCode, restore.output()).toBe(0);
    expect((await postgresCounts(database.url)).tenants).toBe(installed.tenants);
  }, 180_000);
});
