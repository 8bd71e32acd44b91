import { text } from '../../shared/i18n/translate.js';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { CopySession, Database } from '../../db/database.js';
import { dataTables, type CatalogTable } from './catalog.js';
import { fileCipher, newBackupKey } from './encryption.js';
import { copyOutStatement, postgresColumns, postgresRowEstimates } from './postgres-rows.js';
import { LineCounter, type BackupProgress } from './progress.js';
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
/**
 * zlib's level for table files. Level 1 writes JSON rows about 1.15 times the size level 6 (the
 * default) writes, in about half the time: compression is most of a backup's CPU.
 */
export const BACKUP_GZIP_LEVEL = 1;
/**
 * Bytes gzip writes at a time. zlib's 16 KiB default makes a table of hundreds of MiB tens of
 * thousands of trips between the thread pool and the event loop, and gzip waits for the event
 * loop at each while it reads the next rows; 1 MiB holds a whole page of rows, so reading and
 * compressing go on side by side (a SQLite backup took a third less time).
 */
const BACKUP_GZIP_CHUNK_BYTES = 1024 * 1024;
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
 * The rows are one consistent snapshot: all tables are read in one read-only snapshot
 * (`REPEATABLE READ` on PostgreSQL, shared by the connections that copy tables at once; a read
 * transaction in WAL mode on SQLite), so writes made meanwhile are all in it or all out. On
 * PostgreSQL tables stream out with `COPY` (see {@link copyOutStatement}); on SQLite they are read
 * in pages, each row's JSON written by SQLite (see {@link sqlitePagesOf}). The directory appears
 * complete or not at all: it is written under a temporary name and renamed at the end. `signal`
 * stops it mid-table (a scheduled backup's timeout, shutdown), leaving nothing behind.
 * `progress` hears the estimated total and each table's rows as they go.
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
  options: { root: string; robustoVersion: string; now?: Date; signal?: AbortSignal; encryptionKey?: string; progress?: BackupProgress },
): Promise<{ dir: string; manifest: BackupManifest }> {
  const createdAt = options.now ?? new Date();
  const dir = path.join(options.root, backupDirName(createdAt));
  const partial = path.join(options.root, `.${backupDirName(createdAt)}.partial`);
  mkdirSync(partial, { recursive: true });
  const backupKey = options.encryptionKey ? newBackupKey(options.encryptionKey) : undefined;
  const target: TableTarget = { dir: partial, signal: options.signal, key: backupKey?.key, progress: options.progress };
  try {
    const snapshot = db.copy ? await copySnapshot({ ...db, copy: db.copy }, target) : await pagedSnapshot(db, target);
    const result: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      createdAt: createdAt.toISOString(),
      robustoVersion: options.robustoVersion,
      engine: db.engine,
      migrations: snapshot.migrations,
      tables: snapshot.tables,
      ...(backupKey ? { encryption: backupKey.encryption } : {}),
    };
    const manifest = backupKey ? { ...result, hmac: manifestHmac(result, backupKey.key) } : result;
    writeFileSync(path.join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    renameSync(partial, dir);
    return { dir, manifest };
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw error;
  } finally {
    options.progress?.end();
  }
}

/** Where and how table files are written: the directory, the stop signal, the key of an encrypted backup, who hears of progress. */
interface TableTarget {
  dir: string;
  signal: AbortSignal | undefined;
  key: Buffer | undefined;
  progress: BackupProgress | undefined;
}

/** What a snapshot of the database gives the manifest. */
interface Snapshot {
  migrations: Record<string, string[]>;
  tables: BackupTableEntry[];
}

/** The schema version of `db`, refusing a database robusto never migrated. */
async function migrationsOf(db: Database): Promise<Record<string, string[]>> {
  const migrations = await appliedMigrations(db);
  if (Object.keys(migrations).length === 0) {
    throw new BackupError(BackupErrorCode.NO_DATABASE, text('backup.error.noTables'));
  }
  return migrations;
}

/**
 * Every table read in pages along its primary key, in one read-only transaction (`REPEATABLE
 * READ` on PostgreSQL, a read transaction in WAL mode on SQLite).
 */
async function pagedSnapshot(db: Database, target: TableTarget): Promise<Snapshot> {
  let transaction = db.kysely.transaction();
  if (db.engine === 'postgres') transaction = transaction.setIsolationLevel('repeatable read').setAccessMode('read only');
  return transaction.execute(async (tx) => {
    const txDb: Database = { ...db, kysely: tx };
    const migrations = await migrationsOf(txDb);
    const catalog = await dataTables(txDb);
    target.progress?.begin(await countedRows(tx, catalog));
    const tables: BackupTableEntry[] = [];
    for (const table of catalog) {
      target.progress?.rows(table.name, 0);
      const lines = async function* (): AsyncGenerator<string> {
        for await (const page of db.engine === 'sqlite' ? sqlitePagesOf(tx, table) : pagesOf(tx, table)) {
          target.signal?.throwIfAborted();
          yield page;
        }
      };
      tables.push(await writeTable(Readable.from(lines()), table.name, target));
    }
    return { migrations, tables };
  });
}

/** The rows of every table, counted (for progress: on SQLite a count is a walk of the table's smallest index). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
async function countedRows(tx: Kysely<any>, tables: CatalogTable[]): Promise<number> {
  let total = 0;
  for (const table of tables) total += Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(table.name)}`.execute(tx)).rows[0]?.n ?? 0);
  return total;
}

/** Connections a PostgreSQL backup copies tables on at once, all in one snapshot. */
export const BACKUP_COPY_CONNECTIONS = 2;

/**
 * PostgreSQL: every table streamed out with `COPY`, the largest first, on
 * {@link BACKUP_COPY_CONNECTIONS} connections at once (the server turns rows into JSON on one
 * core per connection). The first connection's `REPEATABLE READ` read-only transaction exports
 * its snapshot, which the others' transactions take (`SET TRANSACTION SNAPSHOT`, as `pg_dump -j`
 * does), so all tables are still one instant of the database. The server writes each row as the
 * JSON line the paged read writes (see {@link copyOutStatement}), so the files do not depend on
 * how they were read; the manifest lists them in the catalog's order, parents first.
 */
async function copySnapshot(db: Database & { copy: NonNullable<Database['copy']> }, target: TableTarget): Promise<Snapshot> {
  return db.copy(async (session) => {
    await sql`begin isolation level repeatable read read only`.execute(session.kysely);
    const txDb = { engine: 'postgres', kysely: session.kysely } as Database;
    const migrations = await migrationsOf(txDb);
    const catalog = await dataTables(txDb);
    const columns = await postgresColumns(session.kysely);
    const estimates = await postgresRowEstimates(session.kysely);
    const estimated = catalog.map((table) => estimates.get(table.name));
    target.progress?.begin(estimated.every((n) => n !== undefined) ? estimated.reduce((sum, n) => sum + n, 0) : undefined);
    const snapshot = (await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(session.kysely)).rows[0]?.id as string;
    const queue = [...catalog].sort((a, b) => (estimates.get(b.name) ?? 0) - (estimates.get(a.name) ?? 0));
    const written = new Map<string, BackupTableEntry>();
    const copyTables = async (on: CopySession): Promise<void> => {
      for (let table = queue.shift(); table; table = queue.shift()) {
        target.signal?.throwIfAborted();
        written.set(table.name, await writeTable(on.copyOut(copyOutStatement(table.name, columns.get(table.name) ?? [])), table.name, target));
      }
    };
    const helpers = Array.from({ length: BACKUP_COPY_CONNECTIONS - 1 }, () =>
      db.copy(async (helper) => {
        await sql`begin isolation level repeatable read read only`.execute(helper.kysely);
        await sql`set transaction snapshot ${sql.lit(snapshot)}`.execute(helper.kysely);
        await copyTables(helper);
        await sql`commit`.execute(helper.kysely);
      }),
    );
    // A failure on one connection empties the queue: the others stop after the table they are on.
    const stopOthers = (error: unknown) => {
      queue.length = 0;
      throw error;
    };
    const outcomes = await Promise.allSettled([copyTables(session), ...helpers].map((work) => work.catch(stopOthers)));
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    await sql`commit`.execute(session.kysely);
    return { migrations, tables: catalog.map((table) => written.get(table.name) as BackupTableEntry) };
  });
}

/**
 * Writes one table's rows (NDJSON, a row per line) into its file: gzipped (on the thread pool),
 * encrypted when the backup is, hashed and counted in the same pass.
 */
async function writeTable(source: Readable, name: string, target: TableTarget): Promise<BackupTableEntry> {
  const encryption = target.key ? fileCipher(target.key, name) : undefined;
  const file = `${name}.ndjson.gz${encryption ? '.enc' : ''}`;
  const to = path.join(target.dir, file);
  const hash = createHash('sha256');
  target.progress?.rows(name, 0);
  const counter = new LineCounter(target.progress ? (rows) => target.progress?.rows(name, rows) : undefined);
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const options = target.signal ? [{ signal: target.signal }] : [];
  const gzip = createGzip({ level: BACKUP_GZIP_LEVEL, chunkSize: BACKUP_GZIP_CHUNK_BYTES });
  const gathered = new Gathered(BACKUP_GZIP_CHUNK_BYTES);
  if (encryption) await pipeline(source, counter, gathered, gzip, encryption.cipher, hashing, createWriteStream(to, { mode: 0o600 }), ...options);
  else await pipeline(source, counter, gathered, gzip, hashing, createWriteStream(to, { mode: 0o600 }), ...options);
  const entry: BackupTableEntry = { name, file, rows: counter.lines, bytes: statSync(to).size, sha256: hash.digest('hex') };
  return encryption ? { ...entry, iv: encryption.iv, tag: encryption.cipher.getAuthTag().toString('base64') } : entry;
}

/**
 * Passes bytes on in chunks of at least `bytes` (the last one smaller): `COPY` gives a table's
 * rows in the socket's pieces, often 8 KiB, and each chunk handed to gzip is a trip to the thread
 * pool and back, which cost a PostgreSQL backup more of the event loop than anything else.
 */
class Gathered extends Transform {
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(private readonly bytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size >= this.bytes) this.#pass();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.#size > 0) this.#pass();
    done();
  }

  #pass(): void {
    this.push(this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#size));
    this.#chunks = [];
    this.#size = 0;
  }
}

/**
 * SQLite: the table's rows as NDJSON, a page of {@link BACKUP_PAGE_ROWS} lines at a time, in the
 * table's own order (by rowid: the order rows were inserted in, which a restore then inserts
 * them in, so indexes on creation times or sequential codes grow at their end; a table `WITHOUT
 * ROWID` by its primary key). SQLite writes each line itself (`json_object`, the same JSON a
 * `JSON.stringify` of the row gives, integers past 2^53 exact): a row never becomes a JavaScript
 * object, which was most of a backup's time. Each page is one short query, so the event loop
 * (a server's scheduled backup) is never held for long.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
async function* sqlitePagesOf(tx: Kysely<any>, table: CatalogTable): AsyncGenerator<string> {
  const columns = (await sql<{ name: string }>`select name from pragma_table_info(${table.name}) order by cid`.execute(tx)).rows.map((c) => c.name);
  const [listed] = (await sql<{ wr: number }>`select wr from pragma_table_list(${table.name})`.execute(tx)).rows;
  const line = sql<string>`json_object(${sql.join(columns.map((column) => sql`${sql.lit(column)}, ${sql.ref(column)}`))})`;
  const from = sql.table(table.name);
  const byRowid = listed?.wr !== 1;
  const keyColumns = byRowid ? ['rowid'] : table.primaryKey;
  const key = byRowid ? sql`rowid` : sql.join(keyColumns.map((column) => sql.ref(column)));
  // NB: the rowid goes out and comes back as text: a JavaScript number loses integers past 2^53.
  const keyOut = byRowid ? sql`cast(rowid as text) as "k0"` : sql.join(keyColumns.map((column, i) => sql`${sql.ref(column)} as ${sql.ref(`k${i}`)}`));
  let after: unknown[] | undefined;
  for (;;) {
    const where = !after ? sql`` : byRowid ? sql`where rowid > cast(${after[0]} as integer)` : sql`where (${key}) > (${sql.join(after)})`;
    const page = (
      await sql<Record<string, unknown>>`select ${keyOut}, ${line} as "line" from ${from} ${where} order by ${key} limit ${BACKUP_PAGE_ROWS}`.execute(tx)
    ).rows;
    if (page.length > 0) yield linesOf(page);
    if (page.length < BACKUP_PAGE_ROWS) return;
    const last = page[page.length - 1] as Record<string, unknown>;
    after = keyColumns.map((_, i) => last[`k${i}`]);
  }
}

/** The `line` of each row, a newline after each. */
function linesOf(page: Array<Record<string, unknown>>): string {
  let text = '';
  for (const row of page) text += `${row.line as string}\n`;
  return text;
}

/** PostgreSQL without COPY: the table's rows as NDJSON, in pages along its primary key (a table without one is read in one go). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
async function* pagesOf(tx: Kysely<any>, table: CatalogTable): AsyncGenerator<string> {
  const from = sql.table(table.name);
  if (table.primaryKey.length === 0) {
    yield ndjsonOf((await sql<Record<string, unknown>>`select * from ${from}`.execute(tx)).rows);
    return;
  }
  const key = sql.join(table.primaryKey.map((column) => sql.ref(column)));
  let after: unknown[] | undefined;
  for (;;) {
    const where = after ? sql`where (${key}) > (${sql.join(after)})` : sql``;
    const page = (await sql<Record<string, unknown>>`select * from ${from} ${where} order by ${key} limit ${BACKUP_PAGE_ROWS}`.execute(tx)).rows;
    if (page.length > 0) yield ndjsonOf(page);
    if (page.length < BACKUP_PAGE_ROWS) return;
    const last = page[page.length - 1] as Record<string, unknown>;
    after = table.primaryKey.map((column) => last[column]);
  }
}

/** Rows as NDJSON: each row's JSON, a newline after each. */
function ndjsonOf(rows: Array<Record<string, unknown>>): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}
