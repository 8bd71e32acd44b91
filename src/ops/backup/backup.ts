import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { dataTables, type CatalogTable } from './catalog.js';
import { fileCipher, newBackupKey } from './encryption.js';
import { manifestHmac } from './manifest-hmac.js';
import {
  appliedMigrations,
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BackupError,
  BackupErrorCode,
  MANIFEST_FILE,
  type BackupManifest,
  type BackupTableEntry,
} from './manifest.js';

/** Rows read per query: a table is read in pages along its primary key, so memory stays flat. */
export const BACKUP_PAGE_ROWS = 2_000;
/** The prefix of every backup directory's name; the rest is its UTC time, `YYYYMMDDTHHMMSSmmmZ`. */
export const BACKUP_DIR_PREFIX = 'robusto-backup-';

/** The directory name of a backup made at `at`, which sorts by time. */
export function backupDirName(at: Date): string {
  return `${BACKUP_DIR_PREFIX}${at.toISOString().replace(/[-:.]/g, '')}`;
}

/**
 * Writes a backup of every data table of `db` into a new directory under `root`: one gzipped
 * NDJSON file per table (a row per line, as the engine gives it: ids, dates and instants as
 * strings) and `manifest.json` (schema version, row counts, SHA-256 of each file). Either
 * engine's backup restores into either engine.
 *
 * The rows are one consistent snapshot: all tables are read in one read-only transaction
 * (`REPEATABLE READ` on PostgreSQL, a read transaction in WAL mode on SQLite), so writes made
 * meanwhile are all in it or all out. The directory appears complete or not at all: it is
 * written under a temporary name and renamed at the end. `signal` stops it between pages (a
 * scheduled backup's timeout, shutdown), leaving nothing behind.
 *
 * With `encryptionKey` (`BACKUP_ENCRYPTION_KEY`) each file is encrypted after compression
 * (AES-256-GCM, a key derived with scrypt and a salt of this backup's, an IV per file): the copy
 * can then sit on a disk or a service others can read. The manifest stays readable (counts,
 * hashes, schema) and is authenticated by an HMAC under a key derived from the backup's, so
 * neither a file nor the list of tables can be changed unnoticed; without the key the rows
 * cannot be read or restored.
 */
export async function createBackup(
  db: Database,
  options: { root: string; robustoVersion: string; now?: Date; signal?: AbortSignal; encryptionKey?: string },
): Promise<{ dir: string; manifest: BackupManifest }> {
  const createdAt = options.now ?? new Date();
  const dir = path.join(options.root, backupDirName(createdAt));
  const partial = path.join(options.root, `.${backupDirName(createdAt)}.partial`);
  mkdirSync(partial, { recursive: true });
  const backupKey = options.encryptionKey ? newBackupKey(options.encryptionKey) : undefined;
  try {
    let transaction = db.kysely.transaction();
    if (db.engine === 'postgres') transaction = transaction.setIsolationLevel('repeatable read').setAccessMode('read only');
    const manifest = await transaction.execute(async (tx) => {
      const tables: BackupTableEntry[] = [];
      const txDb: Database = { ...db, kysely: tx };
      const migrations = await appliedMigrations(txDb);
      if (Object.keys(migrations).length === 0) {
        throw new BackupError(
          BackupErrorCode.NO_DATABASE,
          'this database has no robusto tables (no migration was ever applied): check DATA_DIR or DATABASE_URL point at the installation to back up',
        );
      }
      for (const table of await dataTables(txDb)) tables.push(await writeTable(tx, table, partial, options.signal, backupKey?.key));
      const result: BackupManifest = {
        format: BACKUP_FORMAT,
        formatVersion: BACKUP_FORMAT_VERSION,
        createdAt: createdAt.toISOString(),
        robustoVersion: options.robustoVersion,
        engine: db.engine,
        migrations,
        tables,
        ...(backupKey ? { encryption: backupKey.encryption } : {}),
      };
      return backupKey ? { ...result, hmac: manifestHmac(result, backupKey.key) } : result;
    });
    writeFileSync(path.join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    renameSync(partial, dir);
    return { dir, manifest };
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  }
}

async function writeTable(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  tx: Kysely<any>,
  table: CatalogTable,
  dir: string,
  signal: AbortSignal | undefined,
  key: Buffer | undefined,
): Promise<BackupTableEntry> {
  const encryption = key ? fileCipher(key, table.name) : undefined;
  const file = `${table.name}.ndjson.gz${encryption ? '.enc' : ''}`;
  const target = path.join(dir, file);
  const hash = createHash('sha256');
  let rows = 0;
  const lines = async function* (): AsyncGenerator<string> {
    for await (const page of pagesOf(tx, table)) {
      signal?.throwIfAborted();
      rows += page.length;
      yield page.map((row) => `${JSON.stringify(row)}\n`).join('');
    }
  };
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const options = signal ? [{ signal }] : [];
  if (encryption) await pipeline(lines(), createGzip(), encryption.cipher, hashing, createWriteStream(target, { mode: 0o600 }), ...options);
  else await pipeline(lines(), createGzip(), hashing, createWriteStream(target, { mode: 0o600 }), ...options);
  const entry: BackupTableEntry = { name: table.name, file, rows, bytes: statSync(target).size, sha256: hash.digest('hex') };
  return encryption ? { ...entry, iv: encryption.iv, tag: encryption.cipher.getAuthTag().toString('base64') } : entry;
}

/** The table's rows in pages along its primary key (a table without one is read in one go). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
async function* pagesOf(tx: Kysely<any>, table: CatalogTable): AsyncGenerator<Array<Record<string, unknown>>> {
  const from = sql.table(table.name);
  if (table.primaryKey.length === 0) {
    yield (await sql<Record<string, unknown>>`select * from ${from}`.execute(tx)).rows;
    return;
  }
  const key = sql.join(table.primaryKey.map((column) => sql.ref(column)));
  let after: unknown[] | undefined;
  for (;;) {
    const where = after ? sql`where (${key}) > (${sql.join(after)})` : sql``;
    const page = (await sql<Record<string, unknown>>`select * from ${from} ${where} order by ${key} limit ${BACKUP_PAGE_ROWS}`.execute(tx)).rows;
    if (page.length > 0) yield page;
    if (page.length < BACKUP_PAGE_ROWS) return;
    const last = page[page.length - 1] as Record<string, unknown>;
    after = table.primaryKey.map((column) => last[column]);
  }
}
