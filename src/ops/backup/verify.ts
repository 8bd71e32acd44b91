import { createHash } from 'node:crypto';
import path from 'node:path';
import { pipeline, Transform, Writable, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { authenticityOf } from './authenticity.js';
import { LineSplitter, MAX_ROW_BYTES, openRegularFile, UnreadableFileError } from '../bounded-read.js';
import { backupKeyOf, fileDecipher } from './encryption.js';
import { BackupError, BackupErrorCode, readManifest, type BackupManifest, type BackupTableEntry } from './manifest.js';
import { schemaTables } from './schema-tables.js';
import { moduleSources } from '../../builtin-modules.js';
import { render, text, type LocalText } from '../../shared/i18n/translate.js';
import type { BackupProgress } from './progress.js';

/** What `verify` found: the manifest, one line per problem (none when the backup is sound) and facts worth telling. */
export interface VerifyReport {
  manifest: BackupManifest;
  /** The problems in English, for the log and the API. */
  problems: string[];
  /** The same problems, to be written in the reader's language (the command's). */
  problemTexts: LocalText[];
  /** Facts that are no failure, such as a plain backup's manifest not being authenticated, in English. */
  notes: string[];
  /** The same facts, to be written in the reader's language. */
  noteTexts: LocalText[];
}

/** Options of {@link verifyBackup}. */
export interface VerifyOptions {
  /** `BACKUP_ENCRYPTION_KEY`, when set. */
  encryptionKey?: string | undefined;
  /** `ROBUSTO_MODULES`' files: their migrations tell which tables a backup of theirs holds. */
  extraModules?: readonly string[] | undefined;
  /** Hears which table is being checked and how far. */
  progress?: BackupProgress | undefined;
}

/**
 * Re-checks a backup against its manifest and the code: the manifest is authentic (its HMAC,
 * with the key), it lists every table of the schema version it names (as this robusto's
 * migrations define that version) and no other, and every file is there, is a regular file, has
 * the recorded SHA-256, unpacks, and holds the recorded number of rows, each a line shaped as a
 * JSON object (the restore parses them). Reads each file once, hashing and unpacking in the same
 * pass. Nothing read can block or exhaust the process: FIFOs, devices and links are refused,
 * sizes and lines capped.
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
  const problems = authenticity.problem ? [authenticity.problem.detail] : [];
  problems.push(...(await completenessProblems(manifest, options.extraModules)));
  options.progress?.begin(manifest.tables.reduce((sum, table) => sum + table.rows, 0));
  try {
    problems.push(...(await checkTables(dir, manifest, keyProblem ? null : key, options.progress)));
  } finally {
    options.progress?.end();
  }
  if (keyProblem) problems.push(keyProblem.detail);
  const notes = authenticity.note ? [authenticity.note] : [];
  const english = (texts: LocalText[]): string[] => texts.map((item) => render('en', item));
  return { manifest, problems: english(problems), problemTexts: problems, notes: english(notes), noteTexts: notes };
}

/**
 * One line per table the schema version of `manifest` has (see {@link schemaTables}) that the
 * manifest does not list, and per table it lists that this version does not have; one line when
 * this robusto does not know that version. None when the backup is complete.
 */
export async function completenessProblems(manifest: BackupManifest, extraModules: readonly string[] = []): Promise<LocalText[]> {
  const schema = await schemaTables(manifest.migrations, moduleSources(extraModules));
  if ('unknown' in schema) {
    return [text('backup.problem.unknownSchema', { migrations: schema.unknown.join(', ') })];
  }
  const listed = new Set(manifest.tables.map((table) => table.name));
  const required = new Set(schema.tables);
  const missing = schema.tables.filter((name) => !listed.has(name));
  const foreign = [...listed].filter((name) => !required.has(name));
  const problems: LocalText[] = [];
  if (missing.length > 0) problems.push(text('backup.problem.lacksTables', { tables: missing.join(', ') }));
  if (foreign.length > 0) problems.push(text('backup.problem.foreignTables', { tables: foreign.join(', ') }));
  return problems;
}

/**
 * Bytes read from a table file, and given by gunzip, at a time: far larger than the streams'
 * defaults (64 KiB, zlib's 16 KiB): a file of hundreds of MiB is then a few hundred callbacks and
 * buffers to allocate and collect, not tens of thousands, which costs a restore CPU the database
 * needs at the same time.
 */
const UNPACK_CHUNK_BYTES = 1024 * 1024;

/** Table files checked at once: unpacking runs on the thread pool, so two use two cores. */
export const VERIFY_CONCURRENCY = 2;

/**
 * One line per table file of `manifest` that is missing, altered or unreadable, or whose rows
 * are not what the manifest says, in the manifest's order; none when all are sound. Checks
 * {@link VERIFY_CONCURRENCY} files at once, the largest first.
 *
 * @param key the backup's key from {@link keyOf}: undefined for a plain backup; null to check
 *   only the files' hashes (an encrypted backup whose rows cannot be read, or a restore, which
 *   checks the rows as it loads them).
 */
export async function checkTables(dir: string, manifest: BackupManifest, key: Buffer | null | undefined, progress?: BackupProgress): Promise<LocalText[]> {
  const found = new Map<BackupTableEntry, LocalText>();
  const queue = [...manifest.tables].sort((a, b) => b.bytes - a.bytes);
  const worker = async (): Promise<void> => {
    for (let table = queue.shift(); table; table = queue.shift()) {
      progress?.rows(table.name, 0);
      const problem = await checkTable(dir, table, key, progress);
      if (problem) found.set(table, text('backup.problem.table', { table: table.name, file: table.file, problem }));
    }
  };
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
  return manifest.tables.flatMap((table) => found.get(table) ?? []);
}

/**
 * The key of an encrypted backup from `passphrase` (undefined for a plain backup).
 *
 * @throws {BackupError} `ERR_BACKUP_KEY` when the backup is encrypted and the passphrase is missing or is not its key.
 */
export function keyOf(manifest: BackupManifest, dir: string, passphrase: string | undefined): Buffer | undefined {
  if (!manifest.encryption) return undefined;
  if (!passphrase) throw new BackupError(BackupErrorCode.KEY, text('backup.error.noKey', { dir }));
  const key = backupKeyOf(passphrase, manifest.encryption);
  if (!key) throw new BackupError(BackupErrorCode.KEY, text('backup.error.wrongKey', { dir }));
  return key;
}

/** The SHA-256 (hex) of a regular file, refusing one larger than `maxBytes` before reading it. */
async function sha256Of(file: string, maxBytes: number): Promise<string> {
  const { handle, size } = await openRegularFile(file, maxBytes, text('backup.problem.sizeAltered', { bytes: String(maxBytes) }));
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

/**
 * `key`: undefined for a plain backup, null for an encrypted one whose rows cannot be read
 * (hashes only). The file is read once: its bytes are hashed as they go into the decipher and
 * gunzip, whose output is checked row by row without being parsed ({@link RowShapeCheck}). When
 * that pass fails, the file is hashed again on its own, so an altered file is reported as such
 * rather than by whatever its alteration broke.
 */
async function checkTable(dir: string, table: BackupTableEntry, key: Buffer | null | undefined, progress?: BackupProgress): Promise<LocalText | undefined> {
  const file = path.join(dir, table.file);
  const hash = createHash('sha256');
  const rows = new RowShapeCheck(table.rows, MAX_ROW_BYTES, progress ? (count) => progress.rows(table.name, count) : undefined);
  try {
    const { handle } = await openRegularFile(file, table.bytes, text('backup.problem.sizeAltered', { bytes: String(table.bytes) }));
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const source = handle.createReadStream({ highWaterMark: UNPACK_CHUNK_BYTES });
    if (key === null) await pipelined(source, hashing, new Writable({ write: (_chunk, _encoding, done) => done() }));
    else if (key)
      await pipelined(source, hashing, fileDecipher(key, table.name, table.iv ?? '', table.tag ?? ''), createGunzip({ chunkSize: UNPACK_CHUNK_BYTES }), rows);
    else await pipelined(source, hashing, createGunzip({ chunkSize: UNPACK_CHUNK_BYTES }), rows);
  } catch (error) {
    return whyUnreadable(file, table, key, error);
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== table.sha256) return text('backup.problem.hashAltered', { sha256, expected: table.sha256 });
  if (key === null) return undefined;
  return rows.problem ?? (rows.rows === table.rows ? undefined : text('backup.problem.rowCount', { rows: rows.rows, expected: table.rows }));
}

/** What is wrong with a table file whose single pass failed with `error`: its hash, checked apart, first. */
async function whyUnreadable(file: string, table: BackupTableEntry, key: Buffer | null | undefined, error: unknown): Promise<LocalText> {
  let sha256: string;
  try {
    sha256 = await sha256Of(file, table.bytes);
  } catch (hashError) {
    return hashError instanceof UnreadableFileError ? hashError.detail : text('backup.file.cannotRead', { reason: (hashError as Error).message });
  }
  if (sha256 !== table.sha256) return text('backup.problem.hashAltered', { sha256, expected: table.sha256 });
  if (error instanceof UnreadableFileError) return text('backup.problem.cannotReadBack', { reason: error.detail });
  // With the key known right, an encrypted file that does not authenticate was altered
  // together with its hash, or moved from another table.
  const reason = (error as Error).message;
  return key ? text('backup.problem.notThisTable', { reason }) : text('backup.problem.cannotReadBack', { reason });
}

/**
 * Checks unpacked NDJSON without parsing it: every non-empty line is at most `maxBytes` and
 * looks like a JSON object (starts with `{` and ends with `}`), and there are no more lines
 * than `expected`. It stops at the first problem, which {@link problem} says; a line longer than
 * `maxBytes` fails the stream with an {@link UnreadableFileError}. Whether each line parses is
 * left to the restore, which parses every row in one transaction: a backup whose SHA-256 matches
 * holds the lines that were written.
 */
class RowShapeCheck extends Writable {
  rows = 0;
  problem: LocalText | undefined;
  #lineBytes = 0;
  #first = -1;
  #last = -1;

  constructor(
    private readonly expected: number,
    private readonly maxBytes: number,
    private readonly onRows?: (rows: number) => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1 && !this.problem; end = chunk.indexOf(NEWLINE, start)) {
      this.#take(chunk, start, end);
      this.#endLine();
      start = end + 1;
    }
    if (!this.problem && start < chunk.length) this.#take(chunk, start, chunk.length);
    this.onRows?.(this.rows);
    done(this.#lineBytes > this.maxBytes ? new UnreadableFileError(text('backup.file.lineTooLong', { max: String(this.maxBytes) })) : null);
  }

  override _final(done: (error?: Error | null) => void): void {
    if (!this.problem) this.#endLine();
    done();
  }

  #take(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    if (this.#lineBytes === 0) this.#first = chunk[start] as number;
    this.#last = chunk[end - 1] as number;
    this.#lineBytes += end - start;
  }

  #endLine(): void {
    if (this.#lineBytes > this.maxBytes) return;
    if (this.#lineBytes > 0) {
      if (this.#first !== OPEN_BRACE || this.#last !== CLOSE_BRACE) this.problem = text('backup.problem.notARow', { line: this.rows + 1 });
      else if (++this.rows > this.expected) this.problem = text('backup.problem.moreRows', { expected: this.expected });
    }
    this.#lineBytes = 0;
  }
}

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Joins streams with pipeline() and waits for the last to finish. */
function pipelined(...streams: [Readable, ...Array<Readable | Writable>]): Promise<void> {
  return new Promise((resolve, reject) => {
    pipeline(streams, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * The streams that unpack a table file, to be joined with pipeline(): the file (which must be a
 * regular file, see {@link openRegularFile}), its decipher when `decrypt` is given (the key, and
 * the entry for the IV, the tag and the table name authenticated with it), and gunzip. The last
 * gives the file's NDJSON, unchecked: for a restore of a backup checked just before.
 */
export async function unpackedStreams(file: string, decrypt?: { key: Buffer; table: BackupTableEntry }): Promise<[Readable, ...Array<Readable | Writable>]> {
  const { handle } = await openRegularFile(file);
  const source = handle.createReadStream({ highWaterMark: UNPACK_CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: UNPACK_CHUNK_BYTES });
  return decrypt ? [source, fileDecipher(decrypt.key, decrypt.table.name, decrypt.table.iv ?? '', decrypt.table.tag ?? ''), gunzip] : [source, gunzip];
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
  const source = handle.createReadStream({ highWaterMark: UNPACK_CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: UNPACK_CHUNK_BYTES });
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
