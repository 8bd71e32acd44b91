import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { keepPrivate } from '../../db/private-file.js';
import { migrateJournal } from './migrations.js';

/** The WAL is cut back to this size after each checkpoint, so an outage's growth does not stay on disk. */
export const JOURNAL_WAL_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * The journal's SQLite file, `DATA_DIR/journal.db`: opening it with its settings and its schema
 * up to date, the connection in use (the file, or a stand-in while it cannot be opened), and
 * giving its unused space back to the disk.
 */
export class JournalStore {
  readonly file: string;
  readonly dataDir: string;
  #db!: SqliteDatabase.Database;
  readonly #openListeners: Array<(db: SqliteDatabase.Database) => void> = [];

  constructor(dataDir: string) {
    this.dataDir = dataDir;
    this.file = path.join(dataDir, 'journal.db');
  }

  /** The connection in use. */
  get db(): SqliteDatabase.Database {
    return this.#db;
  }

  /** Calls `listener` each time a connection is put in use (it prepares its statements on it); it may throw, and so does {@link use}. */
  onOpen(listener: (db: SqliteDatabase.Database) => void): void {
    this.#openListeners.push(listener);
  }

  /** Makes `db` the connection in use, and tells the listeners of {@link onOpen}. */
  use(db: SqliteDatabase.Database): void {
    this.#db = db;
    for (const listener of this.#openListeners) listener(db);
  }

  /**
   * Opens `journal.db` (creating it, mode 0600, and `DATA_DIR` if need be), its settings and its
   * schema up to date (see `JOURNAL_MIGRATIONS`); a file left half-open by an error is closed
   * before it is thrown.
   */
  openFile(): SqliteDatabase.Database {
    mkdirSync(this.dataDir, { recursive: true });
    // The payloads of writes, password hashes among them: for the owner's eyes only.
    keepPrivate(this.file);
    const db = new SqliteDatabase(this.file, { timeout: 1000 });
    try {
      // NB: before the first table of a new file: pages freed by pruning go back to the disk.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`journal_size_limit = ${JOURNAL_WAL_LIMIT_BYTES}`);
      migrateJournal(db);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Gives the journal's unused space back to the disk: the WAL is checkpointed and cut to
   * nothing, free pages are released. Done when the journal drains and after pruning. A reader
   * in another process can keep the WAL from being cut this time; the next call does it.
   */
  compact(): void {
    try {
      // NB: in this order: releasing pages writes to the WAL, which the checkpoint then empties.
      this.#db.pragma('incremental_vacuum');
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Busy: another process is writing; its own drain or the next prune compacts.
    }
  }
}
