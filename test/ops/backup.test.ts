import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { coreMigrations } from '../../src/db/migrations/core.migrations.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { BackupErrorCode, MANIFEST_FILE, type BackupManifest } from '../../src/ops/backup/manifest.js';
import { restoreBackup } from '../../src/ops/backup/restore.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

const COMPARED_TABLES = [
  'tenants',
  'users',
  'customers',
  'products',
  'stock_lots',
  'stock_movements',
  'system_settings',
  'students',
  'audit_log',
  'idempotency_keys',
];

/** A table's rows, ordered and with booleans as SQLite stores them, so both engines compare equal. */
async function rowsOf(db: Database, table: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db.kysely);
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? Number(v) : v])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Every index (and, on PostgreSQL, every constraint) of the database, as the engine defines it. */
async function indexesOf(db: Database): Promise<string[]> {
  const { rows } =
    db.engine === 'sqlite'
      ? await sql<{ definition: string }>`select name || ': ' || coalesce(sql, 'automatic') as definition from sqlite_master where type = 'index'`.execute(
          db.kysely,
        )
      : await sql<{ definition: string }>`
          select indexdef as definition from pg_indexes where schemaname = current_schema()
          union all select conname || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace = current_schema()::regnamespace`.execute(
          db.kysely,
        );
  return rows.map((row) => row.definition).sort();
}

describe.each(ENGINES)('backup and restore from %s', (engine) => {
  const other = engine === 'sqlite' ? 'postgres' : 'sqlite';
  let t: TestApp;
  let tenant: TestTenant;
  let root: string;
  let backup: { dir: string; manifest: BackupManifest };

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    tenant = await createTenantWithUsers(t, 'backup');
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-backups-'));
    const writes = [
      { url: '/api/customers', body: { kind: 'person', name: 'Cliente Backup', document: '52998224725', email: 'c@x.test' } },
      { url: '/api/products', body: { sku: 'FAR-1', name: 'Farinha', unit: 'kg', minStock: 5 } },
    ];
    for (const { url, body } of writes) {
      const response = await call(t, tenant, { method: 'POST', url, body });
      expect(response.statusCode, response.body).toBe(201);
    }
    const productId = (await call(t, tenant, { method: 'GET', url: '/api/products' })).json().items[0].id as string;
    const lot = await call(t, tenant, {
      method: 'POST',
      url: '/api/stock/lots',
      body: { productId, code: 'LOT-1', quantity: 10, expiresOn: '2099-01-01' },
      as: 'staff',
    });
    expect(lot.statusCode, lot.body).toBe(201);
    const use = await call(t, tenant, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'LOT-1', quantity: 2.5 }, as: 'staff' });
    expect(use.statusCode, use.body).toBeLessThan(300);
    for (const name of ['Ana Backup', 'Bruno Backup']) {
      const response = await call(t, tenant, {
        method: 'POST',
        url: '/api/students',
        body: { name, birthDate: '1990-02-03', plan: 'Manhã' },
        headers: { 'idempotency-key': `backup-${name.replace(' ', '-')}` },
      });
      expect(response.statusCode, response.body).toBe(201);
    }
    backup = await createBackup(t.app.db, { root, robustoVersion: 'test' });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes one file per table and a manifest whose row counts are the tables', async () => {
    const names = backup.manifest.tables.map((table) => table.name);
    for (const table of COMPARED_TABLES) expect(names).toContain(table);
    expect(names.some((name) => name.startsWith('robusto_migration'))).toBe(false);
    // Parents before the tables that reference them.
    expect(names.indexOf('tenants')).toBeLessThan(names.indexOf('users'));
    for (const table of backup.manifest.tables) expect(table.rows).toBe((await rowsOf(t.app.db, table.name)).length);
    expect(backup.manifest).toMatchObject({ format: 'robusto-backup', engine, migrations: { core: expect.any(Array), students: expect.any(Array) } });
    expect(backup.manifest.tables.find((table) => table.name === 'students')?.rows).toBe(2);
  });

  it('verify finds it sound, and names the file that was altered, cut short or removed', async () => {
    expect((await verifyBackup(backup.dir)).problems).toEqual([]);
    const damaged = path.join(root, 'damaged');
    cpSync(backup.dir, damaged, { recursive: true });
    const students = path.join(damaged, 'students.ndjson.gz');
    const bytes = readFileSync(students);
    writeFileSync(students, bytes.subarray(0, bytes.length - 8));
    unlinkSync(path.join(damaged, 'customers.ndjson.gz'));
    const { problems } = await verifyBackup(damaged);
    expect(problems).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('students'))).toMatch(/SHA-256/);
    expect(problems.find((p) => p.startsWith('customers'))).toMatch(/missing/);
    // A file whose hash was "fixed" in the manifest still fails on its rows.
    const manifest = JSON.parse(readFileSync(path.join(damaged, MANIFEST_FILE), 'utf8')) as BackupManifest;
    const { createHash } = await import('node:crypto');
    (manifest.tables.find((table) => table.name === 'students') as { sha256: string }).sha256 = createHash('sha256')
      .update(readFileSync(students))
      .digest('hex');
    writeFileSync(path.join(damaged, MANIFEST_FILE), JSON.stringify(manifest));
    copyFileSync(path.join(backup.dir, 'customers.ndjson.gz'), path.join(damaged, 'customers.ndjson.gz'));
    expect((await verifyBackup(damaged)).problems).toEqual([expect.stringMatching(/^students.*cannot be read back|^students.*rows/)]);
  });

  it(`restores into an empty ${other} database: the same rows in every table`, async () => {
    const target = await buildTestApp({ engine: other, skipMigrate: true });
    try {
      await target.app.registry.migrateSchema(target.app.db, coreMigrations);
      const indexes = await indexesOf(target.app.db);
      await restoreBackup(target.app.db, backup.dir);
      // The indexes dropped for the load are all built again, as the migrations made them.
      expect(await indexesOf(target.app.db)).toEqual(indexes);
      for (const table of COMPARED_TABLES) expect({ table, rows: await rowsOf(target.app.db, table) }).toEqual({ table, rows: await rowsOf(t.app.db, table) });
      // The restored database starts (the first start's owner is not added: it has users) and its users sign in.
      expect(await target.app.migrate()).toBe(true);
      expect(await rowsOf(target.app.db, 'users')).toEqual(await rowsOf(t.app.db, 'users'));
      const login = await target.app.http.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { tenant: 'backup', email: 'staff@backup.test', password: 'correct-horse-battery' },
      });
      expect(login.statusCode).toBe(200);
    } finally {
      await target.close();
    }
  });

  it('refuses a database without robusto tables, a table file that is a directory, and a manifest naming a path', async () => {
    const blank = await buildTestApp({ engine, skipMigrate: true });
    try {
      await expect(createBackup(blank.app.db, { root, robustoVersion: 'test' })).rejects.toMatchObject({ code: BackupErrorCode.NO_DATABASE });
    } finally {
      await blank.close();
    }
    const odd = path.join(root, 'odd');
    cpSync(backup.dir, odd, { recursive: true });
    rmSync(path.join(odd, 'customers.ndjson.gz'));
    mkdirSync(path.join(odd, 'customers.ndjson.gz'));
    expect((await verifyBackup(odd)).problems).toEqual([expect.stringMatching(/^customers .*cannot be read/)]);
    const manifest = JSON.parse(readFileSync(path.join(odd, MANIFEST_FILE), 'utf8')) as BackupManifest;
    (manifest.tables[0] as { file: string }).file = '..';
    writeFileSync(path.join(odd, MANIFEST_FILE), JSON.stringify(manifest));
    await expect(verifyBackup(odd)).rejects.toMatchObject({ code: BackupErrorCode.NOT_A_BACKUP });
  });

  it('refuses a database that already holds rows, and a damaged backup, changing nothing', async () => {
    const before = await rowsOf(t.app.db, 'students');
    await expect(restoreBackup(t.app.db, backup.dir)).rejects.toMatchObject({ code: BackupErrorCode.TARGET_NOT_EMPTY });
    const altered = path.join(root, 'altered');
    cpSync(backup.dir, altered, { recursive: true });
    writeFileSync(path.join(altered, 'students.ndjson.gz'), Buffer.concat([readFileSync(path.join(altered, 'students.ndjson.gz')), Buffer.from([0])]));
    await expect(restoreBackup(t.app.db, altered)).rejects.toMatchObject({ code: BackupErrorCode.DAMAGED });
    await expect(restoreBackup(t.app.db, altered)).rejects.toThrow(/students \(students\.ndjson\.gz\): it is \d+ bytes, the manifest says \d+/);
    await expect(restoreBackup(t.app.db, root)).rejects.toMatchObject({ code: BackupErrorCode.NOT_A_BACKUP });
    expect(await rowsOf(t.app.db, 'students')).toEqual(before);
  });

  it('refuses, while it loads them, rows that match their hashes but not the manifest, and leaves the new database as it was', async () => {
    // 'damaged': students cut short, its hash made to match (the test above); 'miscounted': one row more in the manifest.
    const miscounted = path.join(root, 'miscounted');
    cpSync(backup.dir, miscounted, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(miscounted, MANIFEST_FILE), 'utf8')) as BackupManifest;
    (manifest.tables.find((table) => table.name === 'students') as { rows: number }).rows = 3;
    writeFileSync(path.join(miscounted, MANIFEST_FILE), JSON.stringify(manifest));
    for (const into of [engine, other] as const) {
      const target = await buildTestApp({ engine: into, skipMigrate: true });
      try {
        await target.app.registry.migrateSchema(target.app.db, coreMigrations);
        const before = await Promise.all(COMPARED_TABLES.map((table) => rowsOf(target.app.db, table)));
        await expect(restoreBackup(target.app.db, path.join(root, 'damaged')), into).rejects.toMatchObject({
          code: BackupErrorCode.DAMAGED,
          message: expect.stringMatching(/damaged, nothing was restored: students \(students\.ndjson\.gz\): it cannot be read back/),
        });
        await expect(restoreBackup(target.app.db, miscounted), into).rejects.toMatchObject({
          code: BackupErrorCode.DAMAGED,
          message: expect.stringMatching(/students \(students\.ndjson\.gz\): 2 rows, the manifest says 3/),
        });
        expect(await Promise.all(COMPARED_TABLES.map((table) => rowsOf(target.app.db, table)))).toEqual(before);
        await restoreBackup(target.app.db, backup.dir);
        expect(await rowsOf(target.app.db, 'students')).toEqual(await rowsOf(t.app.db, 'students'));
      } finally {
        await target.close();
      }
    }
  });

  it('is one snapshot: registrations made during the backup are in it with their audit rows, or not at all', async () => {
    const during = Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        call(t, tenant, { method: 'POST', url: '/api/students', body: { name: `Durante ${n}`, birthDate: '1990-02-03', plan: 'Noite' } }),
      ),
    );
    const snapshot = await createBackup(t.app.db, { root, robustoVersion: 'test', now: new Date(Date.now() + 1_000) });
    expect((await during).every((r) => r.statusCode === 201)).toBe(true);
    const target = await buildTestApp({ engine, skipMigrate: true });
    try {
      await target.app.registry.migrateSchema(target.app.db, coreMigrations);
      await restoreBackup(target.app.db, snapshot.dir);
      const students = (await rowsOf(target.app.db, 'students')).filter((s) => String(s.name).startsWith('Durante'));
      const audits = (await rowsOf(target.app.db, 'audit_log')).filter((a) => students.some((s) => s.id === a.entity_id));
      expect(audits).toHaveLength(students.length);
    } finally {
      await target.close();
    }
  });
});
