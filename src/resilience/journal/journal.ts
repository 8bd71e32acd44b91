import type { JournalLimits } from '../../config/config.js';
import type { Logger } from '../../log/create-logger.js';
import { recordAttemptsFinished, recordAttemptsStarted } from './attempts.js';
import { deadLetters, discardDead, requeueDead } from './dead-letters.js';
import { deleteFinished, entryByReceipt, pendingEntries, pendingOf, rowByKey } from './entries.js';
import { ENTRY_OVERHEAD_BYTES, toEntry, type AttemptOutcome, type JournalAppend, type JournalEntry } from './entry.js';
import type { JournalFault, JournalFaultReason } from './fault.js';
import { GroupCommit } from './group-commit.js';
import { JournalUnavailableError } from './journal-errors.js';
import { JournalFaults } from './journal-faults.js';
import { journalStats, pendingByCommand, tenantStats, type JournalStats } from './journal-stats.js';
import { JournalStore } from './journal-store.js';
import { acquireLease, releaseLease } from './leases.js';
import { acknowledgeAfter, JOURNAL_PEEK_INTERVAL_MS, PendingWrites } from './pending-writes.js';
import { JournalShares } from './shares.js';

/** Options of the {@link Journal}'s constructor. */
export interface JournalOptions {
  /** Where the journal says, once each, that it broke and that it takes writes again. */
  log?: Logger;
  /** How often a broken journal tries a test write: `JOURNAL_REPROBE_INTERVAL_MS` unless given (tests give less, to wait less). */
  reprobeIntervalMs?: number;
}

/**
 * The local journal of accepted writes: a SQLite file of its own in `DATA_DIR` (WAL,
 * `synchronous=FULL`), apart from the main database so it works while that one is down.
 *
 * An append resolves only once its row is committed to disk, which is what makes a 202 a
 * promise. Concurrent appends share one transaction and one fsync (group commit: see
 * `GroupCommit`).
 *
 * This class puts the pieces together, each in its own file beside it: the file and its schema
 * (`JournalStore`, `JOURNAL_MIGRATIONS`), the pending count other processes' commits update
 * (`PendingWrites`), the limits (`JournalShares`), faults and test writes (`JournalFaults`),
 * the group commit, the leases, the dead letters and the figures.
 */
export class Journal {
  readonly file: string;
  readonly #store: JournalStore;
  readonly #pending: PendingWrites;
  readonly #shares: JournalShares;
  readonly #faults: JournalFaults;
  readonly #commits: GroupCommit;

  /**
   * Opens (or creates) `DATA_DIR/journal.db`. A file that cannot be opened does not stop the
   * server: the journal then starts broken (the file read-only, or an empty stand-in in memory;
   * never acknowledging a write), so writes still go to the database while it answers and
   * nothing waits in the file, and get 503, never 202, otherwise; health says why; the test
   * writes of a broken journal try to open it again.
   */
  constructor(dataDir: string, limits: JournalLimits, options: JournalOptions = {}) {
    this.#store = new JournalStore(dataDir);
    this.file = this.#store.file;
    // NB: in this order, which is the order each prepares its statements on a connection put in use.
    this.#shares = new JournalShares(this.#store, limits, (tenantId) => this.#commits.queuedBytes(tenantId));
    this.#pending = new PendingWrites(this.#store);
    this.#faults = new JournalFaults(this.#store, options.log, options.reprobeIntervalMs);
    this.#commits = new GroupCommit(this.#store, this.#faults, this.#pending);
    this.#faults.open();
  }

  /** Calls `listener` after each group commit, and when a dead letter is put back (the replayer wakes up on it). */
  onAppend(listener: () => void): void {
    this.#pending.onAdded(listener);
  }

  /** The entry a tenant's client key already has in the journal, if any (a retry of a queued write). */
  byKey(tenantId: string, idempotencyKey: string): JournalEntry | undefined {
    const row = rowByKey(this.#store.db, tenantId, idempotencyKey);
    // NB: a pending entry found here may be another process's, committed after this process's
    // last look: the caller answers 202 for it at once, so hasPending must look again.
    if (row?.status === 'pending') this.#pending.lookAgain();
    return row ? toEntry(row) : undefined;
  }

  /**
   * Appends a write; resolves its receipt (a UUIDv7) once the row is on disk. Refused when the
   * pending writes would hold more than `JOURNAL_MAX_MB` in all ({@link JournalUnavailableError})
   * or more than `JOURNAL_TENANT_MAX_MB` for this tenant (`JournalTenantFullError`).
   */
  append(entry: JournalAppend): Promise<string> {
    const fault = this.#faults.stillBroken();
    if (fault) return Promise.reject(new JournalUnavailableError(fault.detail, fault.reason));
    let json: string;
    try {
      json = JSON.stringify(entry.payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = Buffer.byteLength(json) + ENTRY_OVERHEAD_BYTES;
    const refusal = this.#shares.refusal(entry.tenantId, bytes);
    if (refusal) return Promise.reject(refusal);
    return this.#commits.enqueue(entry, json, bytes);
  }

  /**
   * An append of this tenant's key still waiting for its group commit: a concurrent request with
   * the same key waits for the same receipt instead of appending a second entry.
   */
  queuedByKey(tenantId: string, idempotencyKey: string): { fingerprint: string; done: Promise<string> } | undefined {
    return this.#commits.queuedByKey(tenantId, idempotencyKey);
  }

  /**
   * True while anything is queued or pending: new writes must then go to the journal too. The
   * count is kept in memory; commits by another process sharing `DATA_DIR` (another worker, the
   * CLI) are noticed through SQLite's `data_version`, read at most once every
   * {@link JOURNAL_PEEK_INTERVAL_MS}: every write asks, and the read costs about 10 µs (it starts
   * a read transaction on the WAL). No acknowledged write can be overtaken for it, because
   * {@link append} acknowledges no sooner than that interval after its commit: any process's
   * next look is then a fresh one.
   */
  hasPending(): boolean {
    return this.#commits.size > 0 || this.#pending.any();
  }

  /**
   * Takes or renews the lease `name` for `holder` for `ttlMs`: true if `holder` has it now,
   * false while another holder's lease runs (unless `isGone` says that holder no longer exists).
   * One replayer per journal, whatever the number of processes sharing it, holds the lease `replay`.
   *
   * @throws the file's error when it cannot be written (a full disk): the journal is then broken
   * until a test write works again.
   */
  acquireLease(name: string, holder: string, ttlMs: number, isGone: (holder: string) => boolean = () => false): boolean {
    return acquireLease(this.#store.db, this.#faults.writing, { name, holder, ttlMs }, isGone);
  }

  /**
   * Gives the lease `name` up, if `holder` has it (a clean stop: another process may take over at
   * once). Never throws: a lease that cannot be deleted (a full disk) expires by itself.
   */
  releaseLease(name: string, holder: string): void {
    releaseLease(this.#store.db, this.#faults.writing, name, holder);
  }

  /**
   * Deletes entries applied, found already applied or discarded before `before`: their receipts
   * have answered long enough. Pending and dead entries are never deleted. Then gives the space
   * back to the disk. Returns the count.
   */
  pruneFinished(before: string): number {
    const deleted = deleteFinished(this.#store.db, this.#faults.writing, before);
    if (deleted > 0) this.#store.compact();
    return deleted;
  }

  /** The oldest pending entries, in acceptance order; only those journaled after `afterSeq` when given. */
  pending(limit: number, afterSeq = 0): JournalEntry[] {
    return pendingEntries(this.#store.db, limit, afterSeq);
  }

  /** A tenant's writes waiting (every tenant's when `tenantId` is undefined), oldest first, after `afterSeq`. */
  pendingOf(tenantId: string | undefined, limit: number, afterSeq = 0): JournalEntry[] {
    return pendingOf(this.#store.db, tenantId, limit, afterSeq);
  }

  /** One entry by receipt, only within its tenant. */
  byReceipt(tenantId: string, receipt: string): JournalEntry | undefined {
    return entryByReceipt(this.#store.db, tenantId, receipt);
  }

  /** Counts an attempt before it runs (its own commit), so a crash mid-attempt is remembered. */
  startAttempt(seq: number): void {
    this.startAttempts([seq]);
  }

  /** {@link startAttempt} for a batch: one commit for all. */
  startAttempts(seqs: number[]): void {
    recordAttemptsStarted(this.#store.db, this.#faults.writing, seqs);
  }

  /** Records how an attempt ended: still pending (a transient error) or a final status. */
  finishAttempt(seq: number, outcome: AttemptOutcome): void {
    this.finishAttempts([{ seq, ...outcome }]);
  }

  /** {@link finishAttempt} for a batch: one commit for all. Once nothing waits, the file gives its space back. */
  finishAttempts(outcomes: Array<AttemptOutcome & { seq: number }>): void {
    recordAttemptsFinished(this.#store.db, this.#faults.writing, outcomes);
    this.#pending.finished(outcomes.filter((o) => o.status !== 'pending').length);
    if (this.#pending.count <= 0 && this.#commits.size === 0) this.#store.compact();
  }

  /** Figures for health and the admin. */
  stats(): JournalStats {
    return journalStats(this.#store.db, this.#commits);
  }

  /**
   * The figures of one tenant's share of the journal: its writes waiting, the oldest of them and
   * its dead letters (what a tenant's admin sees; the rest is the installation's).
   */
  tenantStats(tenantId: string): Pick<JournalStats, 'pending' | 'oldestPendingAt' | 'dead'> {
    return tenantStats(this.#store.db, tenantId);
  }

  /** How many writes wait, by command and the command version they were accepted under. */
  pendingByCommand(): Array<{ command: string; version: number; pending: number }> {
    return pendingByCommand(this.#store.db);
  }

  /**
   * True when the journal can take a write now: it is not broken (a write that failed is followed
   * by a test write at most every `JOURNAL_REPROBE_INTERVAL_MS`, so this answer is never
   * older than that), and the writes waiting in it leave room under `JOURNAL_MAX_MB` (what the
   * file once grew to does not count).
   */
  writable(): boolean {
    return !this.#faults.stillBroken() && this.#shares.hasRoom();
  }

  /** Why the journal takes no writes, while it is broken (a write, an fsync, or opening the file failed). */
  failure(): string | undefined {
    return this.#faults.fault?.detail;
  }

  /** The fault that keeps the journal from taking writes, while it is broken (`JOURNAL_MAX_MB` reached is not a fault). */
  fault(): JournalFault | undefined {
    const fault = this.#faults.fault;
    return fault ? { ...fault } : undefined;
  }

  /**
   * Tries a small test write now, whatever the journal last saw: what `robusto journal status`
   * reports, so it never answers from a state remembered. Undefined when the write worked and
   * there is room under `JOURNAL_MAX_MB`; else what is wrong.
   */
  probe(): { reason: JournalFaultReason; detail: string } | undefined {
    const fault = this.#faults.testWrite();
    if (fault) return { reason: fault.reason, detail: fault.detail };
    if (!this.#shares.hasRoom()) return { reason: 'limit', detail: this.#shares.full() };
    return undefined;
  }

  /** Calls `listener` each time the journal takes writes again after it broke (the replayer resumes at once). */
  onRecover(listener: () => void): void {
    this.#faults.onRecover(listener);
  }

  /** A tenant's dead letters, oldest first, after `afterSeq`. */
  deadLetters(tenantId: string | undefined, limit: number, afterSeq = 0): JournalEntry[] {
    return deadLetters(this.#store.db, tenantId, limit, afterSeq);
  }

  /**
   * Puts a dead letter back in the queue (at its old place: it is applied before anything
   * journaled after it), recording who asked. False if there is no such dead letter. Resolves,
   * like an append, no sooner than {@link JOURNAL_PEEK_INTERVAL_MS} after the change, so every
   * process sends the writes that follow the answer through the journal, behind it.
   */
  retryDead(tenantId: string, receipt: string, by: string): Promise<boolean> {
    if (!requeueDead(this.#store.db, this.#faults.writing, tenantId, receipt, by)) return Promise.resolve(false);
    this.#pending.added(1);
    return new Promise((resolve) => acknowledgeAfter(performance.now() + JOURNAL_PEEK_INTERVAL_MS, () => resolve(true)));
  }

  /** Gives up on a dead letter for good, recording who and why; the entry itself is kept. */
  discardDead(tenantId: string, receipt: string, by: string, reason: string): boolean {
    return discardDead(this.#store.db, this.#faults.writing, tenantId, receipt, { userId: by, reason });
  }

  /** Re-reads the pending count from the file (self-healing if another process touched it). */
  resyncPending(): void {
    this.#pending.resync();
  }

  /** Closes the file (after the last append was flushed), and stops the test writes of a broken journal. */
  close(): void {
    this.#faults.close();
    if (this.#commits.size === 0 && this.#store.db.open) this.#store.db.close();
  }
}
