// Encrypted backups (BACKUP_ENCRYPTION_KEY): nothing readable in the files, checked and restored
// only with the key, and a wrong key or a missing one named as such, never as damage.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMigrations } from '../../src/db/migrations/core.migrations.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { fileCipher } from '../../src/ops/backup/encryption.js';
import { BackupErrorCode, readManifest, type BackupManifest, type BackupTableEntry } from '../../src/ops/backup/manifest.js';
import { restoreBackup } from '../../src/ops/backup/restore.js';
import { keyOf, readLines, verifyBackup } from '../../src/ops/backup/verify.js';
import { call } from '../support/api.js';
import { createTenantWithUsers } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

const KEY = 'correct horse battery staple 42';
const CPF = '52998224725';

const countOf = async (t: TestApp, table: string) =>
  Number(((await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.app.db.kysely)).rows[0] as { n: number }).n);

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
    expect((await verifyBackup(backup.dir, { encryptionKey: 'another key of enough length' })).problems).toEqual([
      expect.stringMatching(/^BACKUP_ENCRYPTION_KEY is not the key the backup in .* was made with$/),
    ]);
  });

  it("a table file swapped with another table's (hashes swapped too) does not decrypt as that table's", async () => {
    const swapped = path.join(root, 'swapped');
    cpSync(backup.dir, swapped, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(swapped, 'manifest.json'), 'utf8')) as BackupManifest;
    const [a, b] = [manifest.tables.find((x) => x.name === 'tenants'), manifest.tables.find((x) => x.name === 'users')] as [BackupTableEntry, BackupTableEntry];
    [a.file, b.file, a.sha256, b.sha256, a.iv, b.iv, a.tag, b.tag, a.rows, b.rows, a.bytes, b.bytes] = [
      b.file,
      a.file,
      b.sha256,
      a.sha256,
      b.iv,
      a.iv,
      b.tag,
      a.tag,
      b.rows,
      a.rows,
      b.bytes,
      a.bytes,
    ];
    writeFileSync(path.join(swapped, 'manifest.json'), JSON.stringify(manifest));
    const { problems } = await verifyBackup(swapped, { encryptionKey: KEY });
    expect(problems).toEqual([
      expect.stringMatching(/^the manifest of the backup in .* does not match its HMAC/),
      expect.stringMatching(/^tenants .*does not decrypt as this table's file/),
      expect.stringMatching(/^users .*does not decrypt as this table's file/),
    ]);
  });

  it('refuses a manifest whose key derivation or tags are not what robusto makes (a crafted one cannot stall verify)', async () => {
    const crafted = path.join(root, 'crafted');
    for (const change of [
      (m: BackupManifest) => ((m.encryption as { p: number }).p = 16_000),
      (m: BackupManifest) => ((m.encryption as { N: number }).N = 2 ** 20),
      (m: BackupManifest) => ((m.tables[0] as { tag: string }).tag = 'AAAAAA=='),
      (m: BackupManifest) => ((m.tables[0] as { file: string }).file = `${m.tables[0]?.name}.ndjson.gz`),
    ]) {
      rmSync(crafted, { recursive: true, force: true });
      cpSync(backup.dir, crafted, { recursive: true });
      const manifest = JSON.parse(readFileSync(path.join(crafted, 'manifest.json'), 'utf8')) as BackupManifest;
      change(manifest);
      writeFileSync(path.join(crafted, 'manifest.json'), JSON.stringify(manifest));
      await expect(readManifest(crafted)).rejects.toMatchObject({ code: BackupErrorCode.NOT_A_BACKUP });
    }
  });

  it('a reader that stops early on a file that would fail its tag later leaves no stray error behind', async () => {
    // A large file (many chunks), encrypted as a table's, whose tag is wrong: its lines come out
    // long before the tag is checked at the end.
    const key = keyOf(backup.manifest, backup.dir, KEY) as Buffer;
    const { cipher, iv } = fileCipher(key, 'big');
    const lines = Array.from({ length: 50_000 }, (_, n) => `${JSON.stringify({ n, text: `row ${n} ${'x'.repeat(40)}` })}\n`).join('');
    const file = path.join(root, 'big.ndjson.gz.enc');
    writeFileSync(file, Buffer.concat([cipher.update(gzipSync(lines, { level: 0 })), cipher.final()]));
    const table = { name: 'big', file: 'big.ndjson.gz.enc', rows: 50_000, bytes: 0, sha256: '', iv, tag: randomBytes(16).toString('base64') };
    for await (const line of readLines(file, { key, table })) {
      expect(JSON.parse(line)).toMatchObject({ n: 0 });
      break;
    }
    // Were the decipher's failure left unhandled, the process (and this test run) would stop.
    await new Promise((resolve) => setTimeout(resolve, 200));
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
      await expect(restoreBackup(target.app.db, backup.dir, { encryptionKey: 'another key of enough length' })).rejects.toMatchObject({
        code: BackupErrorCode.KEY,
      });
      expect(await countOf(target, 'customers')).toBe(0);
      await restoreBackup(target.app.db, backup.dir, { encryptionKey: KEY });
      for (const table of ['tenants', 'users', 'customers', 'audit_log'])
        expect({ table, rows: await countOf(target, table) }).toEqual({ table, rows: await countOf(t, table) });
      const restored = await target.app.db.kysely.selectFrom('customers').select(['name', 'document']).executeTakeFirst();
      expect(restored).toEqual({ name: 'Cliente Sigiloso', document: CPF });
    } finally {
      await target.close();
    }
  });
});
