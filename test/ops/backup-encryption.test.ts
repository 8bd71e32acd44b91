// Encrypted backups (BACKUP_ENCRYPTION_KEY): nothing readable in the files, checked and restored
// only with the key, and a wrong key or a missing one named as such, never as damage.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMigrations } from '../../src/db/migrations/core.migrations.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { BackupErrorCode, type BackupManifest } from '../../src/ops/backup/manifest.js';
import { restoreBackup } from '../../src/ops/backup/restore.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { call } from '../support/api.js';
import { createTenantWithUsers } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

const KEY = 'correct horse battery staple 42';
const CPF = '52998224725';

const countOf = async (t: TestApp, table: string) => Number(((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.app.db.kysely)).rows[0] as { n: number }).n);

describe.each(ENGINES)('encrypted backup from %s', (engine) => {
  const other = engine === 'sqlite' ? 'postgres' : 'sqlite';
  let t: TestApp;
  let root: string;
  let backup: { dir: string; manifest: BackupManifest };

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    const tenant = await createTenantWithUsers(t, 'cripto');
    const customer = await call(t, tenant, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: 'Cliente Sigiloso', document: CPF } });
    expect(customer.statusCode, customer.body).toBe(201);
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-encrypted-'));
    backup = await createBackup(t.app.db, { root, robustoVersion: 'test', encryptionKey: KEY });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes every table encrypted: no gzip, no document number, the manifest says how (never the key)', () => {
    expect(backup.manifest.encryption).toMatchObject({ cipher: 'aes-256-gcm', kdf: 'scrypt', salt: expect.any(String) });
    const manifestText = readFileSync(path.join(backup.dir, 'manifest.json'), 'utf8');
    expect(manifestText).not.toContain(KEY);
    for (const table of backup.manifest.tables) {
      expect(table.file).toMatch(/\.ndjson\.gz\.enc$/);
      const bytes = readFileSync(path.join(backup.dir, table.file));
      expect(bytes.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])), `${table.file} must not be a readable gzip file`).toBe(false);
      expect(bytes.includes(Buffer.from(CPF))).toBe(false);
    }
    expect(readdirSync(backup.dir).filter((name) => name.endsWith('.ndjson.gz'))).toEqual([]);
  });

  it('verify: sound with the key; without it, hashes checked and one problem asking for the key; with another key, "not the key"', async () => {
    expect((await verifyBackup(backup.dir, { encryptionKey: KEY })).problems).toEqual([]);
    expect((await verifyBackup(backup.dir)).problems).toEqual([expect.stringMatching(/is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with/)]);
    const wrong = (await verifyBackup(backup.dir, { encryptionKey: 'another key of enough length' })).problems;
    expect(wrong).toHaveLength(backup.manifest.tables.length);
    for (const problem of wrong) expect(problem).toMatch(/cannot be decrypted: BACKUP_ENCRYPTION_KEY is not the key this backup was made with/);
  });

  it('verify names an altered encrypted file as damaged, even without the key', async () => {
    const altered = path.join(root, 'altered');
    cpSync(backup.dir, altered, { recursive: true });
    const customers = backup.manifest.tables.find((table) => table.name === 'customers');
    const file = path.join(altered, customers?.file ?? '');
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    for (const options of [{}, { encryptionKey: KEY }]) {
      const { problems } = await verifyBackup(altered, options);
      expect(problems.find((p) => p.startsWith('customers'))).toMatch(/SHA-256 .* altered or damaged/);
    }
  });

  it(`restores into an empty ${other} database with the key; without it or with another, refuses and changes nothing`, async () => {
    const target = await buildTestApp({ engine: other, skipMigrate: true });
    try {
      await target.app.registry.migrateSchema(target.app.db, coreMigrations);
      await expect(restoreBackup(target.app.db, backup.dir)).rejects.toMatchObject({ code: BackupErrorCode.KEY });
      await expect(restoreBackup(target.app.db, backup.dir, { encryptionKey: 'another key of enough length' })).rejects.toMatchObject({ code: BackupErrorCode.KEY });
      expect(await countOf(target, 'customers')).toBe(0);
      await restoreBackup(target.app.db, backup.dir, { encryptionKey: KEY });
      for (const table of ['tenants', 'users', 'customers', 'audit_log']) expect({ table, rows: await countOf(target, table) }).toEqual({ table, rows: await countOf(t, table) });
      const restored = await target.app.db.kysely.selectFrom('customers').select(['name', 'document']).executeTakeFirst();
      expect(restored).toEqual({ name: 'Cliente Sigiloso', document: CPF });
    } finally {
      await target.close();
    }
  });
});
