import { render, text, type LocalText } from '../../shared/i18n/translate.js';
import path from 'node:path';
import { sql } from 'kysely';
import type { Database, Engine } from '../../db/database.js';
import { defineErrors } from '../../shared/error-registry.js';
import { MAX_MANIFEST_BYTES, readSmallFile, UnreadableFileError } from '../bounded-read.js';
import { migrationTables } from './catalog.js';
import { BACKUP_CIPHER, BACKUP_IV_BYTES, BACKUP_SALT_BYTES, BACKUP_SCRYPT, BACKUP_TAG_BYTES, isBase64Of, type BackupEncryption } from './encryption.js';

/** What a backup's `manifest.json` says it is. */
export const BACKUP_FORMAT = 'robusto-backup';
/** The layout version this code writes and reads. */
export const BACKUP_FORMAT_VERSION = 1;
/** The manifest's file name, in the backup's directory. */
export const MANIFEST_FILE = 'manifest.json';
/** What a table file's name looks like: a plain name in the backup's own directory, never a path. */
const TABLE_FILE = /^[A-Za-z0-9_-]+\.ndjson\.gz(\.enc)?$/;

/**
 * One table of a backup: its file (gzipped NDJSON, a row per line; then encrypted, `.enc`, when
 * the backup is), row count, size and SHA-256 (of the file as stored).
 */
export interface BackupTableEntry {
  name: string;
  file: string;
  rows: number;
  bytes: number;
  sha256: string;
  /** Encrypted backups: the file's IV and authentication tag (base64). */
  iv?: string;
  tag?: string;
}

/**
 * A backup's manifest: what was saved, from which engine and schema, and how to check each file.
 * `migrations` is the schema version: the migrations applied, per owner (the core, each module).
 */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  createdAt: string;
  robustoVersion: string;
  engine: Engine;
  migrations: Record<string, string[]>;
  tables: BackupTableEntry[];
  /** Set when the files are encrypted (`BACKUP_ENCRYPTION_KEY`): how to derive the key again. */
  encryption?: BackupEncryption;
  /**
   * Encrypted backups: HMAC-SHA256 (base64) of the rest of the manifest, under a key derived from
   * the backup's key (see `manifest-hmac.ts`), so no fact of it can be changed without the key.
   */
  hmac?: string;
}

/**
 * Error codes of backups, stable for scripts and the log; the `backup`, `verify` and `restore`
 * commands print them and exit 1.
 */
export const BackupErrorCode = defineErrors('backup', {
  NOT_A_BACKUP: { code: 'ERR_BACKUP_NOT_A_BACKUP' },
  NO_DATABASE: { code: 'ERR_BACKUP_NO_DATABASE' },
  DAMAGED: { code: 'ERR_BACKUP_DAMAGED' },
  TARGET_NOT_EMPTY: { code: 'ERR_BACKUP_TARGET_NOT_EMPTY' },
  SCHEMA_MISMATCH: { code: 'ERR_BACKUP_SCHEMA_MISMATCH' },
  KEY: { code: 'ERR_BACKUP_KEY' },
  UNENCRYPTED: { code: 'ERR_BACKUP_UNENCRYPTED' },
  UNAUTHENTICATED: { code: 'ERR_BACKUP_UNAUTHENTICATED' },
});

/**
 * A backup that cannot be read, checked or restored; `detail` says what to do, in the reader's
 * language (the commands print it in the shell's); the message says it in English, for the log.
 */
export class BackupError extends Error {
  override readonly name = 'BackupError';
  constructor(
    readonly code: (typeof BackupErrorCode)[keyof typeof BackupErrorCode],
    readonly detail: LocalText,
  ) {
    super(render('en', detail));
  }
}

/**
 * Reads and checks the shape of `dir`'s manifest: a regular file of at most
 * {@link MAX_MANIFEST_BYTES}, read asynchronously (a FIFO or a device there is refused, never
 * waited on). Its authenticity is checked apart, with the key (`manifest-hmac.ts`).
 *
 * @throws {BackupError} `ERR_BACKUP_NOT_A_BACKUP` when it is missing, not a regular file, too large, or not a robusto backup of this format.
 */
export async function readManifest(dir: string): Promise<BackupManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readSmallFile(file, MAX_MANIFEST_BYTES)).toString('utf8'));
  } catch (error) {
    const reason = error instanceof UnreadableFileError ? error.detail : text('backup.error.notJson', { reason: (error as Error).message });
    throw new BackupError(BackupErrorCode.NOT_A_BACKUP, text('backup.error.unreadableManifest', { file, reason }));
  }
  const manifest = parsed as Partial<BackupManifest>;
  const engines: unknown[] = ['sqlite', 'postgres'];
  if (
    manifest.format !== BACKUP_FORMAT ||
    manifest.formatVersion !== BACKUP_FORMAT_VERSION ||
    !Array.isArray(manifest.tables) ||
    typeof manifest.migrations !== 'object' ||
    manifest.migrations === null ||
    !Object.values(manifest.migrations).every((names) => Array.isArray(names) && names.every((name) => typeof name === 'string')) ||
    !engines.includes(manifest.engine)
  ) {
    throw new BackupError(BackupErrorCode.NOT_A_BACKUP, text('backup.error.notAManifest', { file, format: String(BACKUP_FORMAT_VERSION) }));
  }
  const encryption = manifest.encryption;
  const encrypted = encryption !== undefined;
  if (
    encrypted &&
    (encryption?.cipher !== BACKUP_CIPHER ||
      encryption.kdf !== 'scrypt' ||
      encryption.N !== BACKUP_SCRYPT.N ||
      encryption.r !== BACKUP_SCRYPT.r ||
      encryption.p !== BACKUP_SCRYPT.p ||
      !isBase64Of(encryption.salt, BACKUP_SALT_BYTES) ||
      !isBase64Of(encryption.keyCheck, 32))
  ) {
    throw new BackupError(BackupErrorCode.NOT_A_BACKUP, text('backup.error.foreignEncryption', { file, encryption: JSON.stringify(encryption) }));
  }
  // Only a key can make an HMAC: a plain backup has none.
  if (manifest.hmac !== undefined && (!encrypted || !isBase64Of(manifest.hmac, 32))) {
    throw new BackupError(BackupErrorCode.NOT_A_BACKUP, text('backup.error.foreignHmac', { file }));
  }
  const names = new Set<string>();
  for (const table of manifest.tables) {
    // NB: the file name comes from the manifest: it must name a file of this directory, nothing else.
    if (
      typeof table?.name !== 'string' ||
      typeof table.file !== 'string' ||
      !TABLE_FILE.test(table.file) ||
      // An encrypted backup's files end in .enc, a plain one's never do.
      table.file.endsWith('.enc') !== encrypted ||
      !Number.isSafeInteger(table.rows) ||
      table.rows < 0 ||
      !Number.isSafeInteger(table.bytes) ||
      table.bytes < 0 ||
      typeof table.sha256 !== 'string' ||
      (encrypted && (!isBase64Of(table.iv, BACKUP_IV_BYTES) || !isBase64Of(table.tag, BACKUP_TAG_BYTES)))
    ) {
      throw new BackupError(BackupErrorCode.NOT_A_BACKUP, text('backup.error.badTableEntry', { file, entry: JSON.stringify(table) }));
    }
    if (names.has(table.name)) throw new BackupError(BackupErrorCode.NOT_A_BACKUP, text('backup.error.tableTwice', { file, table: table.name }));
    names.add(table.name);
  }
  return manifest as BackupManifest;
}

/** The migrations applied in `db`, per owner, in name order: the schema version a backup records and a restore compares. */
export async function appliedMigrations(db: Database): Promise<Record<string, string[]>> {
  const applied: Record<string, string[]> = {};
  for (const { table, owner } of await migrationTables(db)) {
    const rows = await sql<{ name: string }>`select name from ${sql.table(table)}`.execute(db.kysely);
    // Sorted here, not by the database: the engines' collations differ.
    applied[owner] = rows.rows.map((r) => r.name).sort();
  }
  return applied;
}
