import { statfsSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import type { Logger } from '../../log/create-logger.js';
import { cannotOpenFault, isStorageError, journalFaultOf, type JournalFault } from './fault.js';
import type { JournalStore } from './journal-store.js';
import { migrateJournal } from './migrations.js';
import { megabytes } from './shares.js';

/**
 * How often a journal that failed a write tries a small test write to see whether it can take
 * writes again (a disk that had filled up, then was given space): at most this often, on a timer
 * and on the write attempts, health checks and replays that find it broken.
 */
export const JOURNAL_REPROBE_INTERVAL_MS = 1_000;

/**
 * The free space the disk holding `DATA_DIR` must have again before a journal broken by a full
 * disk takes writes: a small test write can still fit in space the failed write had taken (the
 * WAL's tail), so without it the journal would mend and break again at each test.
 */
export const JOURNAL_MIN_FREE_BYTES = 1024 * 1024;

/**
 * The row of `leases` the test write rewrites: a lease nobody holds (it is always expired), so
 * the test changes nothing but one small row in place.
 */
export const JOURNAL_PROBE_ROW = 'probe';

/** Runs a write to the journal's file (see {@link JournalFaults.writing}). */
export type Writing = <T>(work: () => T) => T;

/**
 * The bytes this process may still write on the disk holding `dir` (root may use the blocks
 * kept for it), or undefined when the system cannot tell.
 */
function freeBytes(dir: string): number | undefined {
  try {
    const disk = statfsSync(dir);
    return (process.getuid?.() === 0 ? disk.bfree : disk.bavail) * disk.bsize;
  } catch {
    return undefined;
  }
}

/**
 * Whether the journal can take writes, and its way back when it cannot: a write, an fsync or
 * opening the file that failed breaks it (said once in the log); while broken, a test write runs
 * at most every {@link JOURNAL_REPROBE_INTERVAL_MS} (on a timer, and on whatever asks) and mends
 * it once one works. A file that could not be opened is stood in for meanwhile: read-only, or an
 * empty one in memory.
 */
export class JournalFaults {
  readonly #store: JournalStore;
  readonly #log: Logger | undefined;
  /** Why the journal takes no writes, while a write of it failed and no test write has worked since. */
  #broken: JournalFault | undefined;
  /** The file could not be opened for writing: the journal reads it read-only (or, unreadable, an empty one in memory) until a test write opens it. */
  #standIn = false;
  /** When (performance.now()) the last test write ran. */
  #probedAt = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #recoveryListeners: Array<() => void> = [];
  readonly #reprobeIntervalMs: number;

  /** `log` hears, once each, that the journal broke and that it takes writes again; a test write runs at most every `reprobeIntervalMs`. */
  constructor(store: JournalStore, log: Logger | undefined, reprobeIntervalMs = JOURNAL_REPROBE_INTERVAL_MS) {
    this.#store = store;
    this.#log = log;
    this.#reprobeIntervalMs = reprobeIntervalMs;
  }

  /**
   * Puts the file in use. A file that cannot be opened does not throw: the journal starts broken
   * (never acknowledging a write), with the file read-only or, unreadable too, an empty stand-in
   * in memory; its test writes try to open it again.
   */
  open(): void {
    try {
      this.#store.use(this.#store.openFile());
    } catch (error) {
      this.#standIn = true;
      this.#breaks(cannotOpenFault(error, this.#store.file, this.#store.dataDir), error);
      if (!this.#useReadOnly()) {
        const memory = new SqliteDatabase(':memory:');
        migrateJournal(memory);
        this.#store.use(memory);
      }
    }
  }

  /**
   * Uses the file read-only, while it cannot be opened for writing (a full disk): what it holds
   * still counts (writes that arrive queue behind its pending entries, and are refused) and
   * still shows (`robusto journal status`). False if it cannot even be read so (a new file, one
   * of an older robusto).
   */
  #useReadOnly(): boolean {
    let db: SqliteDatabase.Database | undefined;
    try {
      db = new SqliteDatabase(this.#store.file, { readonly: true, fileMustExist: true, timeout: 1000 });
      this.#store.use(db);
      return true;
    } catch {
      db?.close();
      return false;
    }
  }

  /** The fault, while the journal is broken, as last seen (no test write runs for it). */
  get fault(): JournalFault | undefined {
    return this.#broken;
  }

  /** Calls `listener` each time the journal takes writes again after it broke. */
  onRecover(listener: () => void): void {
    this.#recoveryListeners.push(listener);
  }

  /**
   * Runs a write to the file; an error that says the file cannot be written (see
   * {@link isStorageError}) breaks the journal before it is thrown on.
   */
  readonly writing: Writing = (work) => {
    try {
      return work();
    } catch (error) {
      // NB: a stand-in's own refusal (read-only) would hide why the file could not be opened.
      if (isStorageError(error) && !this.#standIn) this.failed(error);
      throw error;
    }
  };

  /** Breaks the journal by a write to its file that failed with `error`, whatever the error; returns the fault. */
  failed(error: unknown): JournalFault {
    return this.#breaks(journalFaultOf(error, this.#store.file, this.#store.dataDir), error);
  }

  /**
   * Marks the journal broken by `fault` (from `error`): said once in the log when it breaks, not
   * on each failed write after (it keeps the time it first broke); a test write then runs every
   * {@link JOURNAL_REPROBE_INTERVAL_MS} until one works.
   */
  #breaks(fault: JournalFault, error: unknown): JournalFault {
    const already = this.#broken;
    this.#broken = { ...fault, since: already?.since ?? fault.since };
    this.#probedAt = performance.now();
    if (!already) {
      this.#log?.error(
        { file: this.#store.file, reason: fault.reason, code: fault.code, err: error },
        'journal cannot take writes: writes get 503 while the database is down or writes wait in it',
      );
      this.#probeTimer = setInterval(() => this.stillBroken(), this.#reprobeIntervalMs);
      this.#probeTimer.unref();
    }
    return this.#broken;
  }

  /**
   * The fault, if the journal is broken still: a test write runs first when the last one is
   * {@link JOURNAL_REPROBE_INTERVAL_MS} old, and clears the fault if it works.
   */
  stillBroken(): JournalFault | undefined {
    if (!this.#broken || performance.now() - this.#probedAt < this.#reprobeIntervalMs) return this.#broken;
    return this.testWrite();
  }

  /**
   * Opens the file if the journal is a stand-in for one that could not be opened, looks that the
   * disk has {@link JOURNAL_MIN_FREE_BYTES} free, then rewrites the {@link JOURNAL_PROBE_ROW}
   * lease (one small row, in place, committed with `synchronous=FULL` like an append): undefined
   * if all held (a broken journal is then mended, said once in the log, and the listeners of
   * {@link onRecover} told), else the fault.
   */
  testWrite(): JournalFault | undefined {
    if (this.#closed) return this.#broken;
    this.#probedAt = performance.now();
    const fault = this.#standIn ? this.#openForWriting() : undefined;
    if (fault) return fault;
    const free = freeBytes(this.#store.dataDir);
    if (free !== undefined && free < JOURNAL_MIN_FREE_BYTES) {
      const short = Object.assign(new Error(`${megabytes(free)} MB free on it, under the ${megabytes(JOURNAL_MIN_FREE_BYTES)} MB the journal waits for`), {
        code: 'ENOSPC',
      });
      return this.failed(short);
    }
    try {
      this.#store.db
        .prepare('insert into leases (name, holder, expires_at) values (?, ?, 0) on conflict (name) do update set holder = excluded.holder, expires_at = 0')
        .run(JOURNAL_PROBE_ROW, new Date().toISOString());
    } catch (error) {
      if (isStorageError(error)) return this.failed(error);
      // Another process writing (busy) says nothing about the disk: the fault, if any, stands.
      return this.#broken;
    }
    this.#mend();
    return undefined;
  }

  /** Opens the file a stand-in stands for, and uses it instead: undefined once done, else the fault. */
  #openForWriting(): JournalFault | undefined {
    let db: SqliteDatabase.Database;
    try {
      db = this.#store.openFile();
    } catch (error) {
      return this.#breaks(cannotOpenFault(error, this.#store.file, this.#store.dataDir), error);
    }
    this.#store.db.close();
    this.#store.use(db);
    this.#standIn = false;
    return undefined;
  }

  /** Clears the fault, if any, after a test write worked: said in the log, the listeners told. */
  #mend(): void {
    const mended = this.#broken;
    if (!mended) return;
    this.#broken = undefined;
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#log?.info(
      { file: this.#store.file, reason: mended.reason, brokenSince: mended.since, brokenSeconds: Math.round((Date.now() - Date.parse(mended.since)) / 1000) },
      'journal takes writes again',
    );
    for (const listener of this.#recoveryListeners) listener();
  }

  /** Stops the test writes: the journal is closing. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
  }
}
