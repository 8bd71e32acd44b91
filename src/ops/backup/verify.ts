import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { backupKeyOf, fileDecipher } from './encryption.js';
import { BackupError, BackupErrorCode, readManifest, type BackupManifest, type BackupTableEntry } from './manifest.js';

/** What `verify` found: the manifest, and one line per problem (none when the backup is sound). */
export interface VerifyReport {
  manifest: BackupManifest;
  problems: string[];
}

/**
 * Re-checks a backup against its manifest: every file is there, has the recorded SHA-256,
 * unpacks, and holds the recorded number of rows, each a JSON object. Reads each file twice
 * (hash, then rows) rather than trusting one pass for both.
 *
 * An encrypted backup needs its key (`encryptionKey`, from `BACKUP_ENCRYPTION_KEY`) to have its
 * rows checked; without it, or with another key (the manifest's key check says so), the files'
 * hashes are still checked and one problem says what is wrong with the key.
 *
 * @throws {BackupError} `ERR_BACKUP_NOT_A_BACKUP` when the manifest itself is missing or invalid.
 */
export async function verifyBackup(dir: string, options: { encryptionKey?: string } = {}): Promise<VerifyReport> {
  const manifest = readManifest(dir);
  let key: Buffer | undefined;
  let keyProblem: BackupError | undefined;
  try {
    key = keyOf(manifest, dir, options.encryptionKey);
  } catch (error) {
    keyProblem = error as BackupError;
  }
  const problems = await checkTables(dir, manifest, keyProblem ? null : key);
  if (keyProblem) problems.push(keyProblem.message);
  return { manifest, problems };
}

/**
 * One line per table file of `manifest` that is missing, altered or unreadable, or whose rows
 * are not what the manifest says; none when all are sound.
 *
 * @param key the backup's key from {@link keyOf}: undefined for a plain backup, null for an
 *   encrypted one whose rows cannot be read (then only the files' hashes are checked).
 */
export async function checkTables(dir: string, manifest: BackupManifest, key: Buffer | null | undefined): Promise<string[]> {
  const problems: string[] = [];
  for (const table of manifest.tables) {
    const problem = await checkTable(dir, table, key);
    if (problem) problems.push(`${table.name} (${table.file}): ${problem}`);
  }
  return problems;
}

/**
 * The key of an encrypted backup from `passphrase` (undefined for a plain backup).
 *
 * @throws {BackupError} `ERR_BACKUP_KEY` when the backup is encrypted and the passphrase is missing or is not its key.
 */
export function keyOf(manifest: BackupManifest, dir: string, passphrase: string | undefined): Buffer | undefined {
  if (!manifest.encryption) return undefined;
  if (!passphrase) throw new BackupError(BackupErrorCode.KEY, `the backup in ${dir} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with to read its rows`);
  const key = backupKeyOf(passphrase, manifest.encryption);
  if (!key) throw new BackupError(BackupErrorCode.KEY, `BACKUP_ENCRYPTION_KEY is not the key the backup in ${dir} was made with`);
  return key;
}

/** `key`: undefined for a plain backup, null for an encrypted one whose rows cannot be read (hashes only). */
async function checkTable(dir: string, table: BackupTableEntry, key: Buffer | null | undefined): Promise<string | undefined> {
  const file = path.join(dir, table.file);
  if (!existsSync(file)) return 'the file is missing';
  let sha256: string;
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    sha256 = hash.digest('hex');
  } catch (error) {
    return `it cannot be read (${(error as Error).message})`;
  }
  if (sha256 !== table.sha256) return `SHA-256 is ${sha256}, the manifest says ${table.sha256}: the file was altered or damaged`;
  if (key === null) return undefined;
  let rows = 0;
  try {
    for await (const line of readLines(file, key ? { key, table } : undefined)) {
      const row: unknown = JSON.parse(line);
      if (row === null || typeof row !== 'object' || Array.isArray(row)) return `line ${rows + 1} is not a row (a JSON object)`;
      rows++;
    }
  } catch (error) {
    // With the key known right, an encrypted file that does not authenticate was altered
    // together with its hash, or moved from another table.
    return key ? `it does not decrypt as this table's file: altered, or another table's (${(error as Error).message})` : `it cannot be read back (${(error as Error).message})`;
  }
  return rows === table.rows ? undefined : `${rows} rows, the manifest says ${table.rows}`;
}

/**
 * The non-empty lines of a gzipped NDJSON file; `decrypt` for an encrypted backup's file (its
 * key, and its entry for the IV, the tag and the table name authenticated with it).
 *
 * NB: an encrypted file's tag is checked at its end, after most lines were given out; a reader
 * that acts on lines (restore) must undo them when this fails: restore runs in one transaction.
 * The streams are joined with pipeline(), whose callback takes every late error, and destroyed
 * when the reader stops early: an error after the last line read must not become an unhandled
 * 'error' event, which would stop the process.
 */
export async function* readLines(file: string, decrypt?: { key: Buffer; table: BackupTableEntry }): AsyncGenerator<string> {
  const source = createReadStream(file);
  const gunzip = createGunzip();
  const done = () => undefined;
  if (decrypt) pipeline(source, fileDecipher(decrypt.key, decrypt.table.name, decrypt.table.iv ?? '', decrypt.table.tag ?? ''), gunzip, done);
  else pipeline(source, gunzip, done);
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.length > 0) yield line;
  } finally {
    lines.close();
    source.destroy();
    gunzip.destroy();
  }
}
