import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import { analyzeTables } from '../../db/analyze.js';
import type { CopySession, Database } from '../../db/database.js';
import { insertRows } from '../../db/insert-rows.js';
import { dataTables, tableNames } from './catalog.js';
import { isLocalText, text, type LocalText } from '../../shared/i18n/translate.js';
import { appliedMigrations, BackupError, BackupErrorCode, readManifest, type BackupManifest, type BackupTableEntry } from './manifest.js';
import { authenticityOf } from './authenticity.js';
import { checkTables, completenessProblems, keyOf, readLines, unpackedStreams } from './verify.js';
import { copyInStatement, postgresColumns } from './postgres-rows.js';
import { NdjsonToCopyText, rowOf } from './ndjson-to-copy.js';
import { dropIndexesForLoad, dropSqliteIndexesForLoad } from './load-indexes.js';
import { MAX_ROW_BYTES, UnreadableFileError } from '../bounded-read.js';
import type { BackupProgress } from './progress.js';

/** The core table every write adds a row to: empty in a database never used. */
const AUDIT_TABLE = 'audit_log';

/** Tables analyzed at once after a restore: two cores' worth. */
const ANALYZE_CONCURRENCY = 2;

/** Rows inserted per statement while restoring. */
export const RESTORE_BATCH_ROWS = 500;

/**
 * Loads a backup into `db`, which must be migrated to the backup's schema version and never
 * used: no write made, so no audit row (restore fills a new database; it never merges into one
 * in use). The backup's files are checked first (their SHA-256, see {@link checkRestorable});
 * all tables load in one transaction, parents before the tables that reference them, each
 * file's rows checked as they load (each a JSON object, as many as the manifest says), so a
 * failure leaves the database as empty as it was. Either engine's backup loads into
 * either engine (SQLite → PostgreSQL is a restore). Every table loaded is then analyzed, so the
 * planner has statistics from the first request on. Returns the manifest.
 *
 * An encrypted backup needs `encryptionKey` (`BACKUP_ENCRYPTION_KEY`, the key it was made with).
 * `checked`: the caller has already checked it with {@link checkRestorable} (the CLI does,
 * before it migrates anything), so it is not read twice; otherwise the options are
 * {@link checkRestorable}'s.
 *
 * @throws {BackupError} a damaged, incomplete or unauthenticated backup, a missing or wrong key, another schema version, or a database that is not empty.
 */
export async function restoreBackup(
  db: Database,
  dir: string,
  options: RestoreOptions & { encryptionKey?: string | undefined; checked?: RestorableBackup } = {},
): Promise<BackupManifest> {
  const { manifest, key } = options.checked ?? (await checkRestorable(dir, options.encryptionKey, { ...options, progress: undefined }));
  const theirs = JSON.stringify(manifest.migrations);
  const ours = JSON.stringify(await appliedMigrations(db));
  if (theirs !== ours) {
    throw new BackupError(BackupErrorCode.SCHEMA_MISMATCH, text('backup.error.schemaMismatch', { theirs, ours, version: manifest.robustoVersion }));
  }
  const tables = new Set((await dataTables(db)).map((t) => t.name));
  const missing = manifest.tables.filter((t) => !tables.has(t.name)).map((t) => t.name);
  if (missing.length > 0) throw new BackupError(BackupErrorCode.SCHEMA_MISMATCH, text('backup.error.missingTables', { tables: missing.join(', ') }));
  // The same schema version has the same tables: one the backup lacks was left out of it.
  const listed = new Set(manifest.tables.map((t) => t.name));
  const lacking = [...tables].filter((name) => !listed.has(name));
  if (lacking.length > 0) throw new BackupError(BackupErrorCode.DAMAGED, text('backup.error.lacksTables', { dir, tables: lacking.join(', ') }));
  await assertNewDatabase(db);
  options.progress?.begin(manifest.tables.reduce((sum, table) => sum + table.rows, 0));
  try {
    if (db.copy) await db.copy((session) => copyTables(session, dir, manifest, key, options.progress));
    else await insertTables(db, dir, manifest, key, options.progress);
  } finally {
    options.progress?.end();
  }
  // Statistics for what was just loaded: without them the first lists sort whole tables.
  await analyzeTables(
    db,
    manifest.tables.map((t) => t.name),
    ANALYZE_CONCURRENCY,
  );
  return manifest;
}

/**
 * Loads every table with batched inserts in one transaction (SQLite, or PostgreSQL without COPY).
 * On SQLite the tables' own indexes are dropped for the load and built once after it (see
 * {@link dropSqliteIndexesForLoad}). Checked again inside the transaction, so a write committed since cannot be wiped out: on SQLite the first write here
 * fails (busy snapshot) if another connection wrote after this read.
 */
async function insertTables(db: Database, dir: string, manifest: BackupManifest, key: Buffer | undefined, progress: BackupProgress | undefined): Promise<void> {
  const toSqlite = db.engine === 'sqlite';
  await db.kysely.transaction().execute(async (tx) => {
    if (db.engine === 'postgres') await sql`lock table ${sql.table(AUDIT_TABLE)} in share row exclusive mode`.execute(tx);
    await assertNewDatabase({ ...db, kysely: tx });
    for (const table of [...manifest.tables].reverse()) await tx.deleteFrom(table.name).execute();
    const rebuild = toSqlite
      ? await dropSqliteIndexesForLoad(
          tx,
          manifest.tables.map((table) => table.name),
        )
      : [];
    for (const table of manifest.tables) {
      progress?.rows(table.name, 0);
      let rows = 0;
      for await (const batch of rowBatchesOf(dir, table, key)) {
        await insertRows(tx, table.name, toSqlite ? batch.map(sqliteRow) : batch).execute();
        rows += batch.length;
        progress?.rows(table.name, rows);
      }
    }
    for (const statement of rebuild) await sql.raw(statement).execute(tx);
  });
}

/**
 * PostgreSQL: loads every table with `COPY`, on one connection in one transaction. Each file's
 * rows become `COPY` text as they stream (see {@link NdjsonToCopyText}); the tables' secondary
 * indexes are dropped before and built once after the load (see {@link dropIndexesForLoad}). The
 * audit table is locked before the emptiness check, so new audit rows (any write) wait until the
 * end; a failure rolls everything back, leaving the database as empty as it was.
 */
async function copyTables(
  session: CopySession,
  dir: string,
  manifest: BackupManifest,
  key: Buffer | undefined,
  progress: BackupProgress | undefined,
): Promise<void> {
  const tx = session.kysely;
  await sql`begin`.execute(tx);
  await sql`lock table ${sql.table(AUDIT_TABLE)} in share row exclusive mode`.execute(tx);
  await assertNewDatabase({ engine: 'postgres', kysely: tx } as Database);
  const columns = await postgresColumns(tx);
  for (const table of [...manifest.tables].reverse()) await tx.deleteFrom(table.name).execute();
  const rebuild = await dropIndexesForLoad(
    tx,
    manifest.tables.map((table) => table.name),
  );
  for (const table of manifest.tables) {
    progress?.rows(table.name, 0);
    const tableColumns = columns.get(table.name) ?? [];
    const streams = await unpackedStreams(path.join(dir, table.file), key ? { key, table } : undefined).catch((error: unknown) => {
      throw damagedAt(dir, table, error);
    });
    const rows = new NdjsonToCopyText(
      tableColumns.map((column) => column.name),
      MAX_ROW_BYTES,
      progress ? (count) => progress.rows(table.name, count) : undefined,
    );
    await pipeFile(dir, table, [...streams, rows], session.copyIn(copyInStatement(table.name, tableColumns)));
    assertRowCount(dir, table, rows.rows);
  }
  for (const statement of rebuild) await sql.raw(statement).execute(tx);
  await sql`commit`.execute(tx);
}

/**
 * The rows of `table`'s file, parsed, in batches of up to {@link RESTORE_BATCH_ROWS}; fails with
 * {@link damagedAt} on a line that is not a JSON object, a file that cannot be read to its end,
 * or a count of rows other than the manifest's.
 */
async function* rowBatchesOf(dir: string, table: BackupTableEntry, key: Buffer | undefined): AsyncGenerator<Array<Record<string, unknown>>> {
  const lines = readLines(path.join(dir, table.file), key ? { key, table } : undefined);
  let count = 0;
  let batch: Array<Record<string, unknown>> = [];
  try {
    for (;;) {
      let row: Record<string, unknown>;
      try {
        const next = await lines.next();
        if (next.done) break;
        row = rowOf(next.value, count + 1);
      } catch (error) {
        throw damagedAt(dir, table, error);
      }
      count++;
      batch.push(row);
      if (batch.length >= RESTORE_BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
  } finally {
    await lines.return(undefined);
  }
  assertRowCount(dir, table, count);
  if (batch.length > 0) yield batch;
}

/** @throws {BackupError} {@link damagedAt}, when `rows` rows were read from `table`'s file and its manifest says otherwise. */
function assertRowCount(dir: string, table: BackupTableEntry, rows: number): void {
  if (rows !== table.rows) throw damagedAt(dir, table, text('backup.problem.rowCount', { rows, expected: table.rows }));
}

/**
 * Pipes a table file's `stages` (the file, its decipher, gunzip, the rows) into `sink` (the
 * database's COPY). An error raised first by a stage is the backup's, thrown as
 * {@link damagedAt}; one raised first by the sink is the database's, thrown as it is.
 */
async function pipeFile(dir: string, table: BackupTableEntry, stages: [Readable, ...Array<Readable | Writable>], sink: Writable): Promise<void> {
  let origin: Readable | Writable | undefined;
  for (const stream of [...stages, sink]) stream.once('error', () => (origin ??= stream));
  try {
    await pipeline([...stages, sink]);
  } catch (error) {
    throw origin !== undefined && origin !== sink ? damagedAt(dir, table, error) : error;
  }
}

/** A backup found damaged while loading `table`'s file (`why`: a problem, or the error reading it): nothing is restored, the load rolls back. */
function damagedAt(dir: string, table: BackupTableEntry, why: unknown): BackupError {
  if (why instanceof BackupError) return why;
  const problem =
    why instanceof UnreadableFileError
      ? why.detail
      : isLocalText(why)
        ? why
        : text('backup.problem.cannotReadBack', { reason: String((why as Error).message ?? why) });
  return new BackupError(
    BackupErrorCode.DAMAGED,
    text('backup.error.damaged', { dir, problems: [text('backup.problem.table', { table: table.name, file: table.file, problem })] }),
  );
}

/** A backup found fit to restore by {@link checkRestorable}: its manifest, its key (undefined when plain), and what to warn about. */
export interface RestorableBackup {
  manifest: BackupManifest;
  key: Buffer | undefined;
  /** What was let through because the operator said so (a plain or unauthenticated backup): to tell them. */
  warnings: LocalText[];
}

/** What {@link checkRestorable} lets through when told explicitly, and the modules it knows. */
export interface RestoreOptions {
  /** Restore a plain backup although `BACKUP_ENCRYPTION_KEY` is set (`--allow-unencrypted`). */
  allowUnencrypted?: boolean | undefined;
  /** Restore an encrypted backup whose manifest has no HMAC (`--allow-unauthenticated`). */
  allowUnauthenticated?: boolean | undefined;
  /** `ROBUSTO_MODULES`' files, whose migrations tell which tables the backup must hold. */
  extraModules?: readonly string[] | undefined;
  /** Hears how far the check (by {@link checkRestorable}) or the load (by {@link restoreBackup}) is. */
  progress?: BackupProgress | undefined;
}

/**
 * Checks a backup can be restored, reading nothing of the database: the key fits (an encrypted
 * backup), the manifest is authentic (its HMAC), it lists every table of its schema version and
 * every file is there with the SHA-256 the manifest records. Unpacking each file and counting
 * its rows is left to {@link restoreBackup}, which does it as it loads, in one transaction: a
 * second pass over every row here would cost as much as the load. Where `BACKUP_ENCRYPTION_KEY` is set, a plain backup is
 * refused unless `allowUnencrypted` (nothing proves robusto made it), and an encrypted one
 * without an HMAC unless `allowUnauthenticated`.
 *
 * @throws {BackupError} `ERR_BACKUP_KEY` for a missing or wrong key, `ERR_BACKUP_UNENCRYPTED` or
 *   `ERR_BACKUP_UNAUTHENTICATED` for a backup not allowed explicitly, `ERR_BACKUP_DAMAGED` for a
 *   damaged or incomplete backup or a manifest that does not match its HMAC.
 */
export async function checkRestorable(dir: string, encryptionKey: string | undefined, options: RestoreOptions = {}): Promise<RestorableBackup> {
  const manifest = await readManifest(dir);
  // NB: the key once (scrypt, ~50 ms), for the check and the restore alike.
  const key = keyOf(manifest, dir, encryptionKey);
  const warnings: LocalText[] = [];
  const { problem } = authenticityOf(manifest, dir, key, encryptionKey);
  if (problem) {
    const allowed =
      (problem.code === BackupErrorCode.UNENCRYPTED && options.allowUnencrypted) ||
      (problem.code === BackupErrorCode.UNAUTHENTICATED && options.allowUnauthenticated);
    if (!allowed) throw problem;
    warnings.push(problem.code === BackupErrorCode.UNENCRYPTED ? text('backup.warning.unencrypted', { dir }) : text('backup.warning.unauthenticated', { dir }));
  }
  const problems = await completenessProblems(manifest, options.extraModules);
  options.progress?.begin(undefined);
  try {
    // The files' hashes only: their rows are checked as they load, in the restore's transaction.
    problems.push(...(await checkTables(dir, manifest, null, options.progress)));
  } finally {
    options.progress?.end();
  }
  if (problems.length > 0) throw new BackupError(BackupErrorCode.DAMAGED, text('backup.error.damaged', { dir, problems }));
  return { manifest, key, warnings };
}

/**
 * Refuses a database that was ever used: "new" means no write was made, and every write leaves
 * an audit row (rows the migrations themselves put in, such as settings, do not count: a restore
 * replaces them). A database without robusto's tables yet is new.
 *
 * @throws {BackupError} `ERR_BACKUP_TARGET_NOT_EMPTY`.
 */
export async function assertNewDatabase(db: Database): Promise<void> {
  if (!(await tableNames(db)).includes(AUDIT_TABLE)) return;
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(AUDIT_TABLE)}`.execute(db.kysely);
  const count = Number(rows[0]?.n ?? 0);
  if (count > 0) {
    throw new BackupError(BackupErrorCode.TARGET_NOT_EMPTY, text('backup.error.inUse', { table: AUDIT_TABLE, count }));
  }
}

/** A row as SQLite binds it: booleans (from a PostgreSQL backup) as 1 and 0. */
function sqliteRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const [column, value] of Object.entries(row)) if (typeof value === 'boolean') row[column] = value ? 1 : 0;
  return row;
}
