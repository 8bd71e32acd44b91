import { newId } from '../../shared/ids.js';
import type { JournalAppend } from './entry.js';
import { JournalUnavailableError } from './journal-errors.js';
import type { JournalFaults } from './journal-faults.js';
import type { JournalStore } from './journal-store.js';
import { acknowledgeAfter, JOURNAL_PEEK_INTERVAL_MS, type PendingWrites } from './pending-writes.js';

/** Appends waiting for the next group commit, at most this many per transaction. */
export const GROUP_COMMIT_MAX_BATCH = 256;

/** An append waiting for the next group commit; `done` settles with it. */
interface QueuedAppend {
  append: JournalAppend;
  /** The payload as stored, and what the entry is counted as holding. */
  json: string;
  bytes: number;
  receipt: string;
  done: Promise<string>;
  resolve: (receipt: string) => void;
  reject: (error: Error) => void;
}

const INSERT_ENTRY = `insert into entries (receipt, tenant_id, user_id, idempotency_key, fingerprint, command, command_version, payload, request_id, accepted_at, applied_if_audit, status_code, response, bytes, secret_fields, token_epoch)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The values of {@link INSERT_ENTRY} for `item`, accepted at `now`. */
function entryValues({ append: a, json, bytes, receipt }: QueuedAppend, now: string): unknown[] {
  const u = a.uncertain;
  return [
    receipt,
    a.tenantId,
    a.userId,
    a.idempotencyKey,
    a.fingerprint,
    a.command,
    a.commandVersion,
    json,
    a.requestId,
    now,
    u?.auditId ?? null,
    u?.status ?? null,
    u ? JSON.stringify(u.body) : null,
    bytes,
    a.secretFields?.length ? JSON.stringify(a.secretFields) : null,
    a.tokenEpoch ?? null,
  ];
}

/**
 * The append path: concurrent appends share one transaction and one fsync. They queue, and the
 * first one schedules a flush on the next turn of the event loop that writes the whole queue at
 * once, {@link GROUP_COMMIT_MAX_BATCH} at a time. Each append resolves its receipt only once its
 * row is committed, and no sooner than {@link JOURNAL_PEEK_INTERVAL_MS} after (see `PendingWrites`).
 */
export class GroupCommit {
  readonly #store: JournalStore;
  readonly #faults: JournalFaults;
  readonly #pending: PendingWrites;
  #queue: QueuedAppend[] = [];
  /** Bytes of the appends waiting for the group commit, by tenant and in all (key ''). */
  readonly #queuedBytes = new Map<string, number>();
  #flushScheduled = false;
  #groupCommits = 0;
  #appendedTotal = 0;

  /** Commits to `store`'s file; a commit that fails breaks the journal (`faults`); one that works counts in `pending`. */
  constructor(store: JournalStore, faults: JournalFaults, pending: PendingWrites) {
    this.#store = store;
    this.#faults = faults;
    this.#pending = pending;
  }

  /** How many appends wait for their commit. */
  get size(): number {
    return this.#queue.length;
  }

  /** How many transactions committed appends since the journal opened. */
  get groupCommits(): number {
    return this.#groupCommits;
  }

  /** How many appends were committed since the journal opened. */
  get appendedTotal(): number {
    return this.#appendedTotal;
  }

  /** What the appends waiting hold for `tenantId` (the tenant '': in all). */
  queuedBytes(tenantId: string): number {
    return this.#queuedBytes.get(tenantId) ?? 0;
  }

  /** Queues `append` (its payload as `json`, counted as `bytes`); resolves its receipt once committed. */
  enqueue(append: JournalAppend, json: string, bytes: number): Promise<string> {
    this.#countQueued(append.tenantId, bytes);
    let resolve!: (receipt: string) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<string>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    this.#queue.push({ append, json, bytes, receipt: newId(), done, resolve, reject });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    return done;
  }

  /**
   * An append of this tenant's key still waiting for its group commit: a concurrent request with
   * the same key waits for the same receipt instead of appending a second entry.
   */
  queuedByKey(tenantId: string, idempotencyKey: string): { fingerprint: string; done: Promise<string> } | undefined {
    const item = this.#queue.find((q) => q.append.tenantId === tenantId && q.append.idempotencyKey === idempotencyKey);
    return item ? { fingerprint: item.append.fingerprint, done: item.done } : undefined;
  }

  #flush(): void {
    this.#flushScheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, GROUP_COMMIT_MAX_BATCH);
      for (const item of batch) this.#unqueue(item);
      const insert = this.#store.db.prepare(INSERT_ENTRY);
      const now = new Date().toISOString();
      try {
        this.#store.db.transaction(() => {
          for (const item of batch) insert.run(...entryValues(item, now));
        })();
        this.#committed(batch);
      } catch (error) {
        // NB: a failed write or fsync is never retried as if it had worked: the journal stops
        // taking writes, and these requests get 503, not 202, until a test write works again.
        const fault = this.#faults.failed(error);
        const failure = new JournalUnavailableError(fault.detail, fault.reason);
        const rest = this.#queue.splice(0);
        for (const item of rest) this.#unqueue(item);
        for (const item of [...batch, ...rest]) item.reject(failure);
      }
    }
  }

  /** Counts a batch committed, and acknowledges its appends. */
  #committed(batch: QueuedAppend[]): void {
    this.#groupCommits++;
    this.#appendedTotal += batch.length;
    this.#pending.added(batch.length);
    // NB: not sooner: another process's hasPending may still answer from a look taken just
    // before this commit, and a write its client sends after this receipt must not overtake it.
    acknowledgeAfter(performance.now() + JOURNAL_PEEK_INTERVAL_MS, () => {
      for (const item of batch) item.resolve(item.receipt);
    });
  }

  /** Takes an append's bytes off the group commit's count (it is on disk now, or refused). */
  #unqueue(item: QueuedAppend): void {
    this.#countQueued(item.append.tenantId, -item.bytes);
  }

  /** Adds `bytes` (negative: takes them off) to what the group commit holds for `tenantId` and in all. */
  #countQueued(tenantId: string, bytes: number): void {
    for (const key of [tenantId, '']) {
      const held = (this.#queuedBytes.get(key) ?? 0) + bytes;
      if (held > 0) this.#queuedBytes.set(key, held);
      else this.#queuedBytes.delete(key);
    }
  }
}
