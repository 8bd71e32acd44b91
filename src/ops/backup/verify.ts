import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { backupKeyOf, fileDecipher } from './encryption.js';
import { BackupError, BackupErrorCode, readManifest, type BackupManifest, type BackupTableEntry } from './manifest.js';

/** What `verify` found: the manifest, and one line per problem (none when the backup is sound). */
export interface VerifyReport {
  manifest: BackupManifest;
  problems: string[];
}

/**
 * Re-checks a backup against its manifest: every table file is there, has the recorded SHA-256,
 * unpacks, and holds the recorded number of rows, each a JSON object. Reads each file twice
 * (hash, then rows) rather than trusting one pass for both.
 *
 * An encrypted backup needs its key (`encryptionKey`, from `BACKUP_ENCRYPTION_KEY`) to have its
 * rows checked; without it the files' hashes are still checked, and one problem says the rows
 * could not be.
 *
 * @throws {BackupError} `ERR_BACKUP_NOT_A_BACKUP` when the manifest itself is missing or invalid.
 */
export async function verifyBackup(dir: string, options: { encryptionKey?: string } = {}): Promise<VerifyReport> {
  const manifest = readManifest(dir);
  const problems: string[] = [];
  const key = manifest.encryption && options.encryptionKey ? backupKeyOf(options.encryptionKey, manifest.encryption) : undefined;
  for (const table of manifest.tables) {
    const problem = await checkTable(dir, table, manifest.encryption ? (key ?? null) : undefined);
    if (problem) problems.push(`${table.name} (${table.file}): ${problem}`);
  }
  if (manifest.encryption && !key) problems.push(keyNeeded(dir).message);
  return { manifest, problems };
}

/** The error of an encrypted backup read without its key. */
export function keyNeeded(dir: string): BackupError {
  return new BackupError(BackupErrorCode.KEY, `the backup in ${dir} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with to read its rows`);
}

/** `key`: undefined for a plain backup, null for an encrypted one read without its key (hashes only). */
async function checkTable(dir: string, table: BackupTableEntry, key: Buffer | null | undefined): Promise<string | undefined> {
  const file = path.join(dir, table.file);
  if (!existsSync(file)) return 'the file is missing';
  let rows = 0;
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    if (sha256 !== table.sha256) return `SHA-256 is ${sha256}, the manifest says ${table.sha256}: the file was altered or damaged`;
    if (key === null) return undefined;
    for await (const line of readLines(file, key ? { key, table } : undefined)) {
      const row: unknown = JSON.parse(line);
      if (row === null || typeof row !== 'object' || Array.isArray(row)) return `line ${rows + 1} is not a row (a JSON object)`;
      rows++;
    }
  } catch (error) {
    // The file's hash matched, so it is as written: an encrypted one that does not read back
    // was decrypted with another key (its garbage fails gunzip, or GCM's tag check at the end).
    if (key) return 'it cannot be decrypted: BACKUP_ENCRYPTION_KEY is not the key this backup was made with';
    return `it cannot be read back (${(error as Error).message})`;
  }
  return rows === table.rows ? undefined : `${rows} rows, the manifest says ${table.rows}`;
}

/** The non-empty lines of a gzipped NDJSON file; `decrypt` for an encrypted backup's file (its key, and its entry's IV and tag). */
export async function* readLines(file: string, decrypt?: { key: Buffer; table: BackupTableEntry }): AsyncGenerator<string> {
  const gunzip = createGunzip();
  // NB: pipe() does not pass the file's errors on (a file gone or unreadable would be an
  // unhandled 'error' event, which stops the process): the reader fails with them instead.
  const source = createReadStream(file).on('error', (error) => gunzip.destroy(error));
  if (decrypt) {
    const decipher = fileDecipher(decrypt.key, decrypt.table.iv ?? '', decrypt.table.tag ?? '');
    source.pipe(decipher.on('error', (error) => gunzip.destroy(error))).pipe(gunzip);
  } else {
    source.pipe(gunzip);
  }
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  for await (const line of lines) if (line.length > 0) yield line;
}
