// Authentic, complete backups: a plain backup is refused where BACKUP_ENCRYPTION_KEY is set
// unless allowed explicitly, an encrypted backup's manifest is authenticated by an HMAC, and
// every table of the schema version a manifest names must be in it.
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreMigrations } from '../../src/db/migrations/core.migrations.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { BackupErrorCode, MANIFEST_FILE, type BackupManifest } from '../../src/ops/backup/manifest.js';
import { restoreBackup } from '../../src/ops/backup/restore.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { createTenantWithUsers } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

const KEY = 'correct horse battery staple 42';
const FORGED_HASH = '$forged$hash';

/** A copy of `dir` named `name` under `root`, its manifest changed by `change`. */
function copyWithManifest(dir: string, root: string, name: string, change: (manifest: BackupManifest) => void): string {
  const copy = path.join(root, name);
  rmSync(copy, { recursive: true, force: true });
  cpSync(dir, copy, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(copy, MANIFEST_FILE), 'utf8')) as BackupManifest;
  change(manifest);
  writeFileSync(path.join(copy, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return copy;
}

/** An empty database of `engine` migrated to the current schema, ready for a restore. */
async function emptyTarget(engine: (typeof ENGINES)[number]): Promise<TestApp> {
  const target = await buildTestApp({ engine, skipMigrate: true });
  await target.app.registry.migrateSchema(target.app.db, coreMigrations);
  return target;
}

describe.each(ENGINES)('authentic and complete backups on %s', (engine) => {
  let t: TestApp;
  let root: string;
  let plain: { dir: string; manifest: BackupManifest };
  let encrypted: { dir: string; manifest: BackupManifest };

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    await createTenantWithUsers(t, 'autentica');
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-authentic-'));
    plain = await createBackup(t.app.db, { root, robustoVersion: 'test' });
    encrypted = await createBackup(t.app.db, { root, robustoVersion: 'test', encryptionKey: KEY, now: new Date(Date.now() + 1_000) });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a forged plain backup (every password hash replaced, SHA-256 recomputed) is refused where a key is set, unless --allow-unencrypted', async () => {
    const forged = copyWithManifest(plain.dir, root, 'forged', (manifest) => {
      const users = manifest.tables.find((table) => table.name === 'users') as { file: string; sha256: string; bytes: number };
      const file = path.join(plain.dir, users.file);
      const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
      const rewritten = gzipSync(`${lines.map((line) => JSON.stringify({ ...JSON.parse(line), password_hash: FORGED_HASH })).join('\n')}\n`);
      writeFileSync(path.join(root, 'forged-users.gz'), rewritten);
      users.sha256 = createHash('sha256').update(rewritten).digest('hex');
      users.bytes = rewritten.length;
    });
    cpSync(path.join(root, 'forged-users.gz'), path.join(forged, 'users.ndjson.gz'));
    const withKey = await verifyBackup(forged, { encryptionKey: KEY });
    expect(withKey.problems).toEqual([expect.stringMatching(/is not encrypted although BACKUP_ENCRYPTION_KEY is set.*--allow-unencrypted/)]);
    const target = await emptyTarget(engine);
    try {
      await expect(restoreBackup(target.app.db, forged, { encryptionKey: KEY })).rejects.toMatchObject({
        code: BackupErrorCode.UNENCRYPTED,
        message: expect.stringMatching(/--allow-unencrypted/),
      });
      expect((await sql`select * from users`.execute(target.app.db.kysely)).rows).toEqual([]);
      // Told explicitly, the operator gets what they asked for.
      await restoreBackup(target.app.db, forged, { encryptionKey: KEY, allowUnencrypted: true });
      const hashes = (await sql<{ password_hash: string }>`select password_hash from users`.execute(target.app.db.kysely)).rows.map((row) => row.password_hash);
      expect(hashes.length).toBeGreaterThan(0);
      expect(new Set(hashes)).toEqual(new Set([FORGED_HASH]));
    } finally {
      await target.close();
    }
    // Without a key it reads as sound (nothing can tell), but says it is not authenticated.
    const keyless = await verifyBackup(forged);
    expect(keyless.problems).toEqual([]);
    expect(keyless.notes).toEqual([expect.stringMatching(/is not encrypted, so its manifest is not authenticated/)]);
  });

  it('a manifest with two tables removed: verify names them, restore refuses (plain and encrypted)', async () => {
    const cut = (manifest: BackupManifest) => {
      manifest.tables = manifest.tables.filter((table) => table.name !== 'users' && table.name !== 'audit_log');
    };
    const plainCut = copyWithManifest(plain.dir, root, 'plain-cut', cut);
    expect((await verifyBackup(plainCut)).problems).toEqual([expect.stringMatching(/lacks table\(s\) audit_log, users of its schema version/)]);
    const encryptedCut = copyWithManifest(encrypted.dir, root, 'encrypted-cut', cut);
    const { problems } = await verifyBackup(encryptedCut, { encryptionKey: KEY });
    expect(problems).toEqual([
      expect.stringMatching(/does not match its HMAC/),
      expect.stringMatching(/lacks table\(s\) audit_log, users of its schema version/),
    ]);
    const target = await emptyTarget(engine);
    try {
      await expect(restoreBackup(target.app.db, plainCut)).rejects.toMatchObject({
        code: BackupErrorCode.DAMAGED,
        message: expect.stringMatching(/lacks table\(s\) audit_log, users/),
      });
      await expect(restoreBackup(target.app.db, encryptedCut, { encryptionKey: KEY })).rejects.toMatchObject({ code: BackupErrorCode.DAMAGED });
    } finally {
      await target.close();
    }
  });

  it('an encrypted backup whose manifest was edited (a forged checksum, a changed date) fails its HMAC with the key', async () => {
    expect((await verifyBackup(encrypted.dir, { encryptionKey: KEY })).problems).toEqual([]);
    const forgedChecksum = copyWithManifest(encrypted.dir, root, 'forged-checksum', (manifest) => {
      (manifest.tables[0] as { sha256: string }).sha256 = 'f'.repeat(64);
    });
    expect((await verifyBackup(forgedChecksum, { encryptionKey: KEY })).problems).toContainEqual(
      expect.stringMatching(/^the manifest of the backup in .* does not match its HMAC: manifest\.json was changed/),
    );
    expect(encrypted.manifest.hmac).toEqual(expect.any(String));
    const redated = copyWithManifest(encrypted.dir, root, 'redated', (manifest) => {
      manifest.createdAt = '2020-01-01T00:00:00.000Z';
    });
    expect((await verifyBackup(redated, { encryptionKey: KEY })).problems).toEqual([expect.stringMatching(/does not match its HMAC/)]);
    const target = await emptyTarget(engine);
    try {
      await expect(restoreBackup(target.app.db, redated, { encryptionKey: KEY, allowUnauthenticated: true, allowUnencrypted: true })).rejects.toMatchObject({
        code: BackupErrorCode.DAMAGED,
      });
    } finally {
      await target.close();
    }
  });

  it("an encrypted backup without an HMAC (an older robusto's, or stripped) is a problem, restored only with --allow-unauthenticated", async () => {
    const stripped = copyWithManifest(encrypted.dir, root, 'stripped', (manifest) => {
      delete manifest.hmac;
    });
    expect((await verifyBackup(stripped, { encryptionKey: KEY })).problems).toEqual([expect.stringMatching(/carries no HMAC.*--allow-unauthenticated/)]);
    const target = await emptyTarget(engine);
    try {
      await expect(restoreBackup(target.app.db, stripped, { encryptionKey: KEY })).rejects.toMatchObject({ code: BackupErrorCode.UNAUTHENTICATED });
      await restoreBackup(target.app.db, stripped, { encryptionKey: KEY, allowUnauthenticated: true });
      expect(Number((await sql<{ n: number }>`select count(*) as n from users`.execute(target.app.db.kysely)).rows[0]?.n)).toBeGreaterThan(0);
    } finally {
      await target.close();
    }
  });
});
