import type SqliteDatabase from 'better-sqlite3';
import type { JournalStore } from './journal-store.js';

/**
 * The longest a commit to the journal by another process can go unseen by
 * `Journal.hasPending`; appends are acknowledged no sooner than this after their commit.
 */
export const JOURNAL_PEEK_INTERVAL_MS = 5;

/**
 * Calls `acknowledge` once performance.now() reaches `at`. NB: a timer alone can fire a little
 * early (libuv measures from the loop's cached time), so the clock is checked again.
 */
export function acknowledgeAfter(at: number, acknowledge: () => void): void {
  const left = at - performance.now();
  if (left <= 0) acknowledge();
  else setTimeout(() => acknowledgeAfter(at, acknowledge), Math.ceil(left));
}

/**
 * How many entries of the file wait (status pending), kept in memory because every write asks,
 * and the listeners told when more wait. Commits by another process sharing the file are
 * noticed through SQLite's `data_version`, read at most once every {@link JOURNAL_PEEK_INTERVAL_MS}.
 */
export class PendingWrites {
  readonly #store: JournalStore;
  #count = 0;
  readonly #listeners: Array<() => void> = [];
  #dataVersion!: SqliteDatabase.Statement;
  #seenDataVersion = 0;
  /** When (performance.now()) {@link any} next reads `data_version`. */
  #nextPeekAt = 0;

  /** Counts the pending entries of each connection `store` puts in use. */
  constructor(store: JournalStore) {
    this.#store = store;
    store.onOpen((db) => {
      this.#dataVersion = db.prepare('pragma data_version').pluck();
      this.#seenDataVersion = this.#dataVersion.get() as number;
      this.#count = this.#countOnDisk();
    });
  }

  /** The count kept in memory. */
  get count(): number {
    return this.#count;
  }

  /** Calls `listener` each time entries start waiting (the replayer wakes up on it). */
  onAdded(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Counts `n` entries that wait now (appended, or put back in the queue), and tells the listeners. */
  added(n: number): void {
    this.#count += n;
    for (const listener of this.#listeners) listener();
  }

  /** Takes `n` entries that no longer wait off the count. */
  finished(n: number): void {
    this.#count -= n;
  }

  /** Makes the next {@link any} read `data_version` again, however recent its last look. */
  lookAgain(): void {
    this.#nextPeekAt = 0;
  }

  /**
   * True while entries wait: the count in memory, first re-read from the file if another
   * process committed since the last look (which costs about 10 µs: it starts a read
   * transaction on the WAL), looking at most once every {@link JOURNAL_PEEK_INTERVAL_MS}.
   */
  any(): boolean {
    const now = performance.now();
    if (now >= this.#nextPeekAt) {
      this.#nextPeekAt = now + JOURNAL_PEEK_INTERVAL_MS;
      const version = this.#dataVersion.get() as number;
      if (version !== this.#seenDataVersion) {
        this.#seenDataVersion = version;
        this.#count = this.#countOnDisk();
      }
    }
    return this.#count > 0;
  }

  /** Re-reads the count from the file (self-healing if another process touched it). */
  resync(): void {
    this.#count = this.#countOnDisk();
  }

  #countOnDisk(): number {
    return (this.#store.db.prepare(`select count(*) as n from entries where status = 'pending'`).get() as { n: number }).n;
  }
}
