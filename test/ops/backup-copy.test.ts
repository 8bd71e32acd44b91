import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { coreMigrations } from '../../src/db/migrations/core.migrations.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { MANIFEST_FILE, type BackupManifest } from '../../src/ops/backup/manifest.js';
import { restoreBackup } from '../../src/ops/backup/restore.js';
import type { BackupProgress } from '../../src/ops/backup/progress.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

/** The lines of a table file of a plain backup, sorted (COPY gives rows in the table's order, the paged read in its key's). */
function linesOf(dir: string, manifest: BackupManifest, table: string): string[] {
  const entry = manifest.tables.find((t) => t.name === table);
  if (!entry) throw new Error(`no table ${table} in the backup`);
  return gunzipSync(readFileSync(path.join(dir, entry.file)))
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .sort();
}

/** A table's rows as node-postgres reads them, sorted. */
async function rowsOf(db: Database, table: string): Promise<string[]> {
  const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db.kysely);
  return rows.map((row) => JSON.stringify(row)).sort();
}

/** Every index and constraint of the schema, as PostgreSQL defines them. */
async function indexesOf(db: Database): Promise<string[]> {
  const { rows } = await sql<{ definition: string }>`
    select tablename || ': ' || indexdef as definition from pg_indexes where schemaname = current_schema()
    union all select conrelid::regclass::text || ': ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint
    where connamespace = current_schema()::regnamespace`.execute(db.kysely);
  return rows.map((row) => row.definition).sort();
}

/** A progress listener that records what it hears. */
function recorder(): BackupProgress & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    begin: (total) => void events.push(`begin ${total}`),
    rows: (table, rows) => void events.push(`${table} ${rows}`),
    end: () => void events.push('end'),
  };
}

describe('backup and restore with COPY on postgres', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let root: string;
  let copied: { dir: string; manifest: BackupManifest };
  let paged: { dir: string; manifest: BackupManifest };
  const progress = recorder();

  beforeAll(async () => {
    t = await buildTestApp({ engine: 'postgres' });
    tenant = await createTenantWithUsers(t, 'copy');
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-backups-copy-'));
    const customer = { kind: 'person', name: 'Cliente "Cópia" \\ {x}', document: '52998224725', email: 'c@x.test' };
    expect((await call(t, tenant, { method: 'POST', url: '/api/customers', body: customer })).statusCode).toBe(201);
    const product = await call(t, tenant, { method: 'POST', url: '/api/products', body: { sku: 'FAR-1', name: 'Farinha', unit: 'kg', minStock: 5 } });
    expect(product.statusCode, product.body).toBe(201);
    const lot = { productId: product.json().id as string, code: 'LOT-1', quantity: 10, expiresOn: '2099-01-01' };
    expect((await call(t, tenant, { method: 'POST', url: '/api/stock/lots', body: lot, as: 'staff' })).statusCode).toBe(201);
    expect((await call(t, tenant, { method: 'POST', url: '/api/stock/use', body: { lotCode: 'LOT-1', quantity: 2.5 }, as: 'staff' })).statusCode).toBeLessThan(
      300,
    );
    const student = { name: 'Ana Cópia', birthDate: '1990-02-03', plan: 'Manhã' };
    expect((await call(t, tenant, { method: 'POST', url: '/api/students', body: student, headers: { 'idempotency-key': 'copy-ana' } })).statusCode).toBe(201);
    expect(t.app.db.copy).toBeDefined();
    copied = await createBackup(t.app.db, { root, robustoVersion: 'test', now: new Date('2030-01-01T00:00:00Z'), progress });
    // The same database read in pages, as a database without COPY is.
    paged = await createBackup({ ...t.app.db, copy: undefined }, { root, robustoVersion: 'test', now: new Date('2030-01-02T00:00:00Z') });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes every table as the same lines the paged read writes, for every column type the tables use', async () => {
    expect(copied.manifest.tables.map((table) => [table.name, table.rows])).toEqual(paged.manifest.tables.map((table) => [table.name, table.rows]));
    for (const table of copied.manifest.tables)
      expect({ table: table.name, lines: linesOf(copied.dir, copied.manifest, table.name) }).toEqual({
        table: table.name,
        lines: linesOf(paged.dir, paged.manifest, table.name),
      });
    // Every column type of the data tables has a value (not NULL) in some row compared above.
    const { rows: columns } = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns where table_schema = current_schema()`.execute(t.app.db.kysely);
    const seen = new Set<string>();
    for (const table of copied.manifest.tables) {
      const rows = linesOf(copied.dir, copied.manifest, table.name).map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const column of columns.filter((c) => c.table_name === table.name))
        if (rows.some((row) => row[column.column_name] !== null && row[column.column_name] !== undefined)) seen.add(column.data_type);
    }
    const types = new Set(columns.filter((c) => copied.manifest.tables.some((table) => table.name === c.table_name)).map((c) => c.data_type));
    expect([...seen].sort()).toEqual([...types].sort());
  });

  it('tells its progress: the estimated total, each table from 0 to its rows, the end', () => {
    expect(progress.events[0]).toMatch(/^begin /);
    expect(progress.events.at(-1)).toBe('end');
    for (const table of copied.manifest.tables) {
      const heard = progress.events.filter((event) => event.startsWith(`${table.name} `));
      expect(heard[0]).toBe(`${table.name} 0`);
      expect(heard.at(-1)).toBe(`${table.name} ${table.rows}`);
    }
  });

  it('verifies, and restores with COPY into an empty database the same rows, from its own backup and from a paged one', async () => {
    for (const backup of [copied, paged]) {
      expect((await verifyBackup(backup.dir)).problems).toEqual([]);
      const target = await buildTestApp({ engine: 'postgres', skipMigrate: true });
      try {
        await target.app.registry.migrateSchema(target.app.db, coreMigrations);
        const heard = recorder();
        await restoreBackup(target.app.db, backup.dir, { progress: heard });
        for (const table of backup.manifest.tables)
          expect({ table: table.name, rows: await rowsOf(target.app.db, table.name) }).toEqual({ table: table.name, rows: await rowsOf(t.app.db, table.name) });
        // The indexes and constraints dropped for the load are all back, as the migrations made them.
        expect(await indexesOf(target.app.db)).toEqual(await indexesOf(t.app.db));
        expect(heard.events[0]).toBe(`begin ${backup.manifest.tables.reduce((sum, table) => sum + table.rows, 0)}`);
        expect(heard.events.at(-1)).toBe('end');
      } finally {
        await target.close();
      }
    }
  });

  it('rolls a load that fails at the end back whole: no row stays, every index dropped for it is back', async () => {
    // A plain backup whose students file holds a row twice, its hash and count made to match.
    const forged = path.join(root, 'forged');
    cpSync(copied.dir, forged, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(forged, MANIFEST_FILE), 'utf8')) as BackupManifest;
    const entry = manifest.tables.find((table) => table.name === 'students');
    if (!entry) throw new Error('no students in the backup');
    const lines = linesOf(forged, manifest, 'students');
    const file = gzipSync(`${[...lines, lines[0]].join('\n')}\n`);
    writeFileSync(path.join(forged, entry.file), file);
    Object.assign(entry, { rows: lines.length + 1, bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') });
    writeFileSync(path.join(forged, MANIFEST_FILE), JSON.stringify(manifest));
    expect((await verifyBackup(forged)).problems).toEqual([]);
    const target = await buildTestApp({ engine: 'postgres', skipMigrate: true });
    try {
      await target.app.registry.migrateSchema(target.app.db, coreMigrations);
      const indexes = await indexesOf(target.app.db);
      await expect(restoreBackup(target.app.db, forged)).rejects.toThrow(/duplicate key|unique/);
      expect(await rowsOf(target.app.db, 'students')).toEqual([]);
      expect(await rowsOf(target.app.db, 'audit_log')).toEqual([]);
      expect(await indexesOf(target.app.db)).toEqual(indexes);
    } finally {
      await target.close();
    }
  });
});
