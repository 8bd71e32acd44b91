import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { authenticityOf } from './authenticity.js';
import { LineSplitter, MAX_ROW_BYTES, openRegularFile, UnreadableFileError } from '../bounded-read.js';
import { backupKeyOf, fileDecipher } from './encryption.js';
import { BackupError, BackupErrorCode, readManifest, type BackupManifest, type BackupTableEntry } from './manifest.js';
import { schemaModules, schemaTables } from './schema-tables.js';

/** What `verify` found: the manifest, one line per problem (none when the backup is sound) and facts worth telling. */
export interface VerifyReport {
  manifest: BackupManifest;
  problems: string[];
  /** Facts that are no failure, such as a plain backup's manifest not being authenticated. */
  notes: string[];
}

/** Options of {@link verifyBackup}. */
export interface VerifyOptions {
  /** `BACKUP_ENCRYPTION_KEY`, when set. */
  encryptionKey?: string | undefined;
  /** `ROBUSTO_MODULES`' files: their migrations tell which tables a backup of theirs holds. */
  extraModules?: readonly string[] | undefined;
}

/**
 * Re-checks a backup against its manifest and the code: the manifest is authentic (its HMAC,
 * with the key), it lists every table of the schema version it names (as this robusto's
 * migrations define that version) and no other, and every file is there, is a regular file, has
 * the recorded SHA-256, unpacks, and holds the recorded number of rows, each a JSON object. Reads
 * each file twice (hash, then rows) rather than trusting one pass for both. Nothing read can
 * block or exhaust the process: FIFOs, devices and links are refused, sizes and lines capped.
 *
 * An encrypted backup needs its key (`encryptionKey`, from `BACKUP_ENCRYPTION_KEY`) to have its
 * rows and its manifest checked; without it, or with another key (the manifest's key check says
 * so), the files' hashes are still checked and one problem says what is wrong with the key.
 *
 * @throws {BackupError} `ERR_BACKUP_NOT_A_BACKUP` when the manifest itself is missing or invalid.
 */
export async function verifyBackup(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const manifest = await readManifest(dir);
  let key: Buffer | undefined;
  let keyProblem: BackupError | undefined;
  try {
    key = keyOf(manifest, dir, options.encryptionKey);
  } catch (error) {
    keyProblem = error as BackupError;
  }
  const authenticity = authenticityOf(manifest, dir, key, options.encryptionKey);
  const problems = authenticity.problem ? [authenticity.problem.message] : [];
  problems.push(...(await completenessProblems(manifest, options.extraModules)));
  problems.push(...(await checkTables(dir, manifest, keyProblem ? null : key)));
  if (keyProblem) problems.push(keyProblem.message);
  return { manifest, problems, notes: authenticity.note ? [authenticity.note] : [] };
}

/**
 * One line per table the schema version of `manifest` has (see {@link schemaTables}) that the
 * manifest does not list, and per table it lists that this version does not have; one line when
 * this robusto does not know that version. None when the backup is complete.
 */
export async function completenessProblems(manifest: BackupManifest, extraModules: readonly string[] = []): Promise<string[]> {
  const schema = await schemaTables(manifest.migrations, schemaModules(extraModules));
  if ('unknown' in schema) {
    return [
      `the backup's schema version names migrations this robusto does not have (${schema.unknown.join(', ')}): which tables it must hold cannot be checked; verify it with the robusto version and ROBUSTO_MODULES that made it`,
    ];
  }
  const listed = new Set(manifest.tables.map((table) => table.name));
  const required = new Set(schema.tables);
  const missing = schema.tables.filter((name) => !listed.has(name));
  const foreign = [...listed].filter((name) => !required.has(name));
  const problems: string[] = [];
  if (missing.length > 0)
    problems.push(`the backup lacks table(s) ${missing.join(', ')} of its schema version: it is incomplete, or its manifest was cut; use another backup`);
  if (foreign.length > 0)
    problems.push(`the backup lists table(s) ${foreign.join(', ')}, which its schema version does not have: its manifest was altered; use another backup`);
  return problems;
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
  if (!passphrase)
    throw new BackupError(BackupErrorCode.KEY, `the backup in ${dir} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with to read its rows`);
  const key = backupKeyOf(passphrase, manifest.encryption);
  if (!key) throw new BackupError(BackupErrorCode.KEY, `BACKUP_ENCRYPTION_KEY is not the key the backup in ${dir} was made with`);
  return key;
}

/** The SHA-256 (hex) of a regular file, refusing one larger than `maxBytes` before reading it. */
async function sha256Of(file: string, maxBytes: number): Promise<string> {
  const { handle, size } = await openRegularFile(file, maxBytes, `the manifest says ${maxBytes}: the file was altered or damaged`);
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.alloc(64 * 1024);
    for (let at = 0; at < size;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - at), at);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** `key`: undefined for a plain backup, null for an encrypted one whose rows cannot be read (hashes only). */
async function checkTable(dir: string, table: BackupTableEntry, key: Buffer | null | undefined): Promise<string | undefined> {
  const file = path.join(dir, table.file);
  let sha256: string;
  try {
    sha256 = await sha256Of(file, table.bytes);
  } catch (error) {
    return error instanceof UnreadableFileError ? error.message : `it cannot be read (${(error as Error).message})`;
  }
  if (sha256 !== table.sha256) return `SHA-256 is ${sha256}, the manifest says ${table.sha256}: the file was altered or damaged`;
  if (key === null) return undefined;
  let rows = 0;
  try {
    for await (const line of readLines(file, key ? { key, table } : undefined)) {
      const row: unknown = JSON.parse(line);
      if (row === null || typeof row !== 'object' || Array.isArray(row)) return `line ${rows + 1} is not a row (a JSON object)`;
      rows++;
      if (rows > table.rows) return `it holds more rows than the ${table.rows} the manifest says`;
    }
  } catch (error) {
    if (error instanceof UnreadableFileError) return `it cannot be read back (${error.message})`;
    // With the key known right, an encrypted file that does not authenticate was altered
    // together with its hash, or moved from another table.
    return key
      ? `it does not decrypt as this table's file: altered, or another table's (${(error as Error).message})`
      : `it cannot be read back (${(error as Error).message})`;
  }
  return rows === table.rows ? undefined : `${rows} rows, the manifest says ${table.rows}`;
}

/**
 * The non-empty lines of a gzipped NDJSON file; `decrypt` for an encrypted backup's file (its
 * key, and its entry for the IV, the tag and the table name authenticated with it). The file
 * must be a regular file ({@link openRegularFile}); a line longer than {@link MAX_ROW_BYTES}
 * unpacked fails with an {@link UnreadableFileError}, so memory stays bounded whatever the file
 * unpacks to.
 *
 * NB: an encrypted file's tag is checked at its end, after most lines were given out; a reader
 * that acts on lines (restore) must undo them when this fails: restore runs in one transaction.
 * The streams are joined with pipeline(), whose callback takes every late error, and destroyed
 * when the reader stops early: an error after the last line read must not become an unhandled
 * 'error' event, which would stop the process.
 */
export async function* readLines(file: string, decrypt?: { key: Buffer; table: BackupTableEntry }): AsyncGenerator<string> {
  const { handle } = await openRegularFile(file);
  const source = handle.createReadStream();
  const gunzip = createGunzip();
  const lines = new LineSplitter(MAX_ROW_BYTES);
  const done = () => undefined;
  if (decrypt) pipeline(source, fileDecipher(decrypt.key, decrypt.table.name, decrypt.table.iv ?? '', decrypt.table.tag ?? ''), gunzip, lines, done);
  else pipeline(source, gunzip, lines, done);
  try {
    for await (const line of lines) yield line as string;
  } finally {
    lines.destroy();
    gunzip.destroy();
    source.destroy();
  }
}
