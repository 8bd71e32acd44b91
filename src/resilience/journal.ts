import { mkdirSync, statfsSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { JournalLimits } from '../config/config.js';
import { keepPrivate } from '../db/private-file.js';
import type { Logger } from '../log/create-logger.js';
import { newId } from '../shared/ids.js';
import { cannotOpenFault, isStorageError, journalFaultOf, type JournalFault, type JournalFaultReason } from './journal-fault.js';
import { WriteError } from './write-errors.js';

/** The life of a journal entry: waiting, done (applied, or found already applied), or parked. */
export type JournalStatus = 'pending' | 'applied' | 'duplicate' | 'dead' | 'discarded';

/** A write accepted into the journal, as stored. */
export interface JournalEntry {
  seq: number;
  receipt: string;
  tenantId: string;
  userId: string | null;
  idempotencyKey: string;
  fingerprint: string;
  command: string;
  commandVersion: number;
  payload: unknown;
  /** The payload's fields its command declared secret: shown masked. */
  secretFields: string[];
  /** The token epoch of the token it came with (`null`: none, or journaled by an older robusto). */
  tokenEpoch: number | null;
  requestId: string;
  acceptedAt: string;
  status: JournalStatus;
  attemptsStarted: number;
  attemptsFinished: number;
  lastError: string | null;
  lastErrorCode: string | null;
  statusCode: number | null;
  response: unknown;
  /**
   * Set for a write whose COMMIT answer was lost: the id of the audit row it wrote. If that row
   * exists, the write was saved, and `statusCode`/`response` (what it answered) are its outcome.
   */
  appliedIfAudit: string | null;
}

/** What is appended: everything needed to run the command later, exactly once. */
export type JournalAppend = Pick<
  JournalEntry,
  'tenantId' | 'userId' | 'idempotencyKey' | 'fingerprint' | 'command' | 'commandVersion' | 'payload' | 'requestId'
> & {
  secretFields?: readonly string[];
  tokenEpoch?: number;
  /** For a write whose COMMIT answer was lost: its audit row's id and what it answered. */
  uncertain?: { auditId: string; status: number; body: unknown };
};

/** Thrown when the journal cannot take a write: full, unwritable, or its fsync failed; `reason` says which. */
export class JournalUnavailableError extends Error {
  override readonly name = 'JournalUnavailableError';
  readonly code = WriteError.JOURNAL_UNAVAILABLE;

  constructor(
    message: string,
    readonly reason: JournalFaultReason,
  ) {
    super(message);
  }
}

/** Thrown when one tenant's waiting writes hold their whole share of the journal; other tenants can still write. */
export class JournalTenantFullError extends Error {
  override readonly name = 'JournalTenantFullError';
  readonly code = WriteError.JOURNAL_TENANT_FULL;
}

/**
 * What an entry is counted as holding beyond its payload's JSON: its other columns (ids, key,
 * fingerprint, times) and its index entries, about this much on disk.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

/** The WAL is cut back to this size after each checkpoint, so an outage's growth does not stay on disk. */
export const JOURNAL_WAL_LIMIT_BYTES = 4 * 1024 * 1024;

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

/** Options of the {@link Journal}'s constructor. */
export interface JournalOptions {
  /** Where the journal says, once each, that it broke and that it takes writes again. */
  log?: Logger;
}

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

/** Appends waiting for the next group commit, at most this many per transaction. */
export const GROUP_COMMIT_MAX_BATCH = 256;

interface Row {
  seq: number;
  receipt: string;
  tenant_id: string;
  user_id: string | null;
  idempotency_key: string;
  fingerprint: string;
  command: string;
  command_version: number;
  payload: string;
  secret_fields: string | null;
  token_epoch: number | null;
  request_id: string;
  accepted_at: string;
  status: JournalStatus;
  attempts_started: number;
  attempts_finished: number;
  last_error: string | null;
  last_error_code: string | null;
  status_code: number | null;
  response: string | null;
  applied_if_audit: string | null;
}

function toEntry(row: Row): JournalEntry {
  return {
    seq: row.seq,
    receipt: row.receipt,
    tenantId: row.tenant_id,
    userId: row.user_id,
    idempotencyKey: row.idempotency_key,
    fingerprint: row.fingerprint,
    command: row.command,
    commandVersion: row.command_version,
    payload: JSON.parse(row.payload) as unknown,
    secretFields: row.secret_fields ? (JSON.parse(row.secret_fields) as string[]) : [],
    tokenEpoch: row.token_epoch,
    requestId: row.request_id,
    acceptedAt: row.accepted_at,
    status: row.status,
    attemptsStarted: row.attempts_started,
    attemptsFinished: row.attempts_finished,
    lastError: row.last_error,
    lastErrorCode: row.last_error_code,
    statusCode: row.status_code,
    response: row.response === null ? null : (JSON.parse(row.response) as unknown),
    appliedIfAudit: row.applied_if_audit,
  };
}

function megabytes(bytes: number): string {
  return String(Math.round((bytes / 1048576) * 100) / 100);
}

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
 * Brings a file made by an older robusto up to date: the columns added since, and what each
 * tenant's pending entries hold (`tenant_usage`, kept by triggers on every change of an entry,
 * whichever process makes it; the tenant '' is the total).
 */
function upgrade(db: SqliteDatabase.Database): void {
  const columns = new Set((db.prepare('pragma table_info(entries)').all() as Array<{ name: string }>).map((c) => c.name));
  if (!columns.has('applied_if_audit')) db.exec('alter table entries add column applied_if_audit text');
  if (!columns.has('secret_fields')) db.exec('alter table entries add column secret_fields text');
  if (!columns.has('token_epoch')) db.exec('alter table entries add column token_epoch integer');
  if (!columns.has('bytes')) {
    db.exec('alter table entries add column bytes integer not null default 0');
    db.prepare('update entries set bytes = length(cast(payload as blob)) + ?').run(ENTRY_OVERHEAD_BYTES);
  }
  const hasUsage = db.prepare(`select 1 from sqlite_master where type = 'table' and name = 'tenant_usage'`).get() !== undefined;
  if (hasUsage) return;
  db.exec(`
    create table tenant_usage (tenant_id text primary key, pending_bytes integer not null default 0);
    insert into tenant_usage (tenant_id, pending_bytes)
      select tenant_id, sum(bytes) from entries where status = 'pending' group by tenant_id
      union all select '', coalesce(sum(bytes), 0) from entries where status = 'pending';
    create trigger entries_usage_insert after insert on entries when new.status = 'pending' begin
      insert into tenant_usage (tenant_id, pending_bytes) values (new.tenant_id, new.bytes), ('', new.bytes)
        on conflict (tenant_id) do update set pending_bytes = pending_bytes + excluded.pending_bytes;
    end;
    create trigger entries_usage_back after update of status on entries when old.status != 'pending' and new.status = 'pending' begin
      insert into tenant_usage (tenant_id, pending_bytes) values (new.tenant_id, new.bytes), ('', new.bytes)
        on conflict (tenant_id) do update set pending_bytes = pending_bytes + excluded.pending_bytes;
    end;
    create trigger entries_usage_done after update of status on entries when old.status = 'pending' and new.status != 'pending' begin
      update tenant_usage set pending_bytes = pending_bytes - old.bytes where tenant_id in (old.tenant_id, '');
    end;
    create trigger entries_usage_delete after delete on entries when old.status = 'pending' begin
      update tenant_usage set pending_bytes = pending_bytes - old.bytes where tenant_id in (old.tenant_id, '');
    end;
  `);
}

/** How one replay attempt of an entry ended: still pending (a transient error) or a final status. */
export interface AttemptOutcome {
  status: JournalStatus;
  statusCode?: number;
  response?: unknown;
  error?: string;
  errorCode?: string;
}

/** Figures for health and the admin: how much waits, since when, how many are parked. */
export interface JournalStats {
  pending: number;
  oldestPendingAt: string | null;
  dead: number;
  groupCommits: number;
  appendedTotal: number;
}

/**
 * The longest a commit to the journal by another process can go unseen by
 * {@link Journal.hasPending}; appends are acknowledged no sooner than this after their commit.
 */
export const JOURNAL_PEEK_INTERVAL_MS = 5;

// Calls `acknowledge` once performance.now() reaches `at`. NB: a timer alone can fire a little
// early (libuv measures from the loop's cached time), so the clock is checked again.
function acknowledgeAfter(at: number, acknowledge: () => void): void {
  const left = at - performance.now();
  if (left <= 0) acknowledge();
  else setTimeout(() => acknowledgeAfter(at, acknowledge), Math.ceil(left));
}

/**
 * The local journal of accepted writes: a SQLite file of its own in `DATA_DIR` (WAL,
 * `synchronous=FULL`), apart from the main database so it works while that one is down.
 *
 * An append resolves only once its row is committed to disk, which is what makes a 202 a
 * promise. Concurrent appends share one transaction and one fsync (group commit): they queue,
 * and the first one schedules a flush on the next turn of the event loop that writes the whole
 * queue at once.
 */
export class Journal {
  readonly file: string;
  #db!: SqliteDatabase.Database;
  readonly #maxBytes: number;
  readonly #tenantMaxBytes: number;
  #queue: QueuedAppend[] = [];
  /** Bytes of the appends waiting for the group commit, by tenant and in all (key ''). */
  readonly #queuedBytes = new Map<string, number>();
  #held!: SqliteDatabase.Statement;
  #flushScheduled = false;
  #groupCommits = 0;
  #appendedTotal = 0;
  readonly #dataDir: string;
  readonly #log: Logger | undefined;
  /** Why the journal takes no writes, while a write of it failed and no test write has worked since. */
  #broken: JournalFault | undefined;
  /** The file could not be opened for writing: the journal reads it read-only (or, unreadable, an empty one in memory) until a test write opens it. */
  #standIn = false;
  /** When (performance.now()) the last test write ran. */
  #probedAt = 0;
  #probeTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #recoveryListeners: Array<() => void> = [];
  /** Entries with status pending, kept in memory: checked on every write. */
  #pendingCount = 0;
  #listeners: Array<() => void> = [];
  #dataVersion!: SqliteDatabase.Statement;
  #seenDataVersion = 0;
  /** When (performance.now()) hasPending next reads `data_version`. */
  #nextPeekAt = 0;

  /**
   * Opens (or creates) `DATA_DIR/journal.db`. A file that cannot be opened does not stop the
   * server: the journal then starts broken (the file read-only, or an empty stand-in in memory;
   * never acknowledging a write), so writes still go to the database while it answers and
   * nothing waits in the file, and get 503, never 202, otherwise; health says why; the test
   * writes of a broken journal try to open it again.
   */
  constructor(dataDir: string, limits: JournalLimits, options: JournalOptions = {}) {
    this.file = path.join(dataDir, 'journal.db');
    this.#dataDir = dataDir;
    this.#log = options.log;
    this.#maxBytes = limits.maxMegabytes * 1024 * 1024;
    this.#tenantMaxBytes = limits.tenantMaxMegabytes * 1024 * 1024;
    try {
      this.#use(this.#openFile());
    } catch (error) {
      this.#standIn = true;
      this.#breaks(cannotOpenFault(error, this.file, dataDir), error);
      if (!this.#useReadOnly()) {
        const memory = new SqliteDatabase(':memory:');
        this.#setUp(memory);
        this.#use(memory);
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
      db = new SqliteDatabase(this.file, { readonly: true, fileMustExist: true, timeout: 1000 });
      this.#use(db);
      return true;
    } catch {
      db?.close();
      return false;
    }
  }

  /**
   * Opens `journal.db` (creating it, mode 0600, and `DATA_DIR` if need be), its settings and its
   * tables up to date; a file left half-open by an error is closed before it is thrown.
   */
  #openFile(): SqliteDatabase.Database {
    mkdirSync(this.#dataDir, { recursive: true });
    // The payloads of writes, password hashes among them: for the owner's eyes only.
    keepPrivate(this.file);
    const db = new SqliteDatabase(this.file, { timeout: 1000 });
    try {
      // NB: before the first table of a new file: pages freed by pruning go back to the disk.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`journal_size_limit = ${JOURNAL_WAL_LIMIT_BYTES}`);
      this.#setUp(db);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Makes `db` the journal's file: the statements every write uses, the pending count. */
  #use(db: SqliteDatabase.Database): void {
    this.#db = db;
    this.#held = db.prepare(`select tenant_id, pending_bytes from tenant_usage where tenant_id in (?, '')`);
    this.#dataVersion = db.prepare('pragma data_version').pluck();
    this.#seenDataVersion = this.#dataVersion.get() as number;
    this.#pendingCount = this.#countPending();
  }

  /** Creates the tables a new file lacks, and brings an older one up to date. */
  #setUp(db: SqliteDatabase.Database): void {
    db.exec(`
      create table if not exists entries (
        seq integer primary key autoincrement,
        receipt text not null unique,
        tenant_id text not null,
        user_id text,
        idempotency_key text not null,
        fingerprint text not null,
        command text not null,
        command_version integer not null,
        payload text not null,
        request_id text not null,
        accepted_at text not null,
        status text not null default 'pending',
        attempts_started integer not null default 0,
        attempts_finished integer not null default 0,
        last_error text,
        last_error_code text,
        status_code integer,
        response text,
        finished_at text,
        discarded_by text,
        discard_reason text,
        retried_by text,
        retried_at text,
        applied_if_audit text,
        bytes integer not null default 0,
        secret_fields text,
        token_epoch integer
      );
      create index if not exists entries_status_seq on entries (status, seq);
      create index if not exists entries_tenant_key on entries (tenant_id, idempotency_key);
      create table if not exists leases (name text primary key, holder text not null, expires_at integer not null);
    `);
    db.transaction(() => upgrade(db)).immediate();
  }

  /** What the pending entries of `tenantId`, and of all tenants, hold on disk and in the group commit under way. */
  #holding(tenantId: string): { tenant: number; total: number } {
    let tenant = this.#queuedBytes.get(tenantId) ?? 0;
    let total = this.#queuedBytes.get('') ?? 0;
    for (const row of this.#held.all(tenantId) as Array<{ tenant_id: string; pending_bytes: number }>) {
      if (row.tenant_id === '') total += row.pending_bytes;
      else tenant += row.pending_bytes;
    }
    return { tenant, total };
  }

  #countPending(): number {
    return (this.#db.prepare(`select count(*) as n from entries where status = 'pending'`).get() as { n: number }).n;
  }

  /** Calls `listener` after each group commit (the replayer wakes up on it). */
  onAppend(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** The entry a tenant's client key already has in the journal, if any (a retry of a queued write). */
  byKey(tenantId: string, idempotencyKey: string): JournalEntry | undefined {
    const row = this.#db
      .prepare('select * from entries where tenant_id = ? and idempotency_key = ? order by seq desc limit 1')
      .get(tenantId, idempotencyKey) as Row | undefined;
    // NB: a pending entry found here may be another process's, committed after this process's
    // last look: the caller answers 202 for it at once, so hasPending must look again.
    if (row?.status === 'pending') this.#nextPeekAt = 0;
    return row ? toEntry(row) : undefined;
  }

  /**
   * Appends a write; resolves its receipt (a UUIDv7) once the row is on disk. Refused when the
   * pending writes would hold more than `JOURNAL_MAX_MB` in all ({@link JournalUnavailableError})
   * or more than `JOURNAL_TENANT_MAX_MB` for this tenant ({@link JournalTenantFullError}).
   */
  append(entry: JournalAppend): Promise<string> {
    const fault = this.#stillBroken();
    if (fault) return Promise.reject(new JournalUnavailableError(fault.detail, fault.reason));
    let json: string;
    try {
      json = JSON.stringify(entry.payload);
    } catch (error) {
      return Promise.reject(error);
    }
    const bytes = Buffer.byteLength(json) + ENTRY_OVERHEAD_BYTES;
    const holding = this.#holding(entry.tenantId);
    if (holding.total + bytes > this.#maxBytes) {
      return Promise.reject(new JournalUnavailableError(`${this.#full()}; it empties as the database comes back`, 'limit'));
    }
    if (holding.tenant + bytes > this.#tenantMaxBytes) {
      return Promise.reject(
        new JournalTenantFullError(
          `this tenant's writes waiting in the journal hold their whole share (${megabytes(this.#tenantMaxBytes)} MB, JOURNAL_TENANT_MAX_MB); it empties as the database comes back`,
        ),
      );
    }
    this.#countQueued(entry.tenantId, bytes);
    let resolve!: (receipt: string) => void;
    let reject!: (error: Error) => void;
    const done = new Promise<string>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    this.#queue.push({ append: entry, json, bytes, receipt: newId(), done, resolve, reject });
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
    if (this.#queue.length > 0) return true;
    const now = performance.now();
    if (now >= this.#nextPeekAt) {
      this.#nextPeekAt = now + JOURNAL_PEEK_INTERVAL_MS;
      const version = this.#dataVersion.get() as number;
      if (version !== this.#seenDataVersion) {
        this.#seenDataVersion = version;
        this.#pendingCount = this.#countPending();
      }
    }
    return this.#pendingCount > 0;
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
    const now = Date.now();
    return this.#writing(() =>
      this.#db
        .transaction(() => {
          const row = this.#db.prepare('select holder, expires_at from leases where name = ?').get(name) as { holder: string; expires_at: number } | undefined;
          if (row && row.holder !== holder && row.expires_at > now && !isGone(row.holder)) return false;
          this.#db
            .prepare(
              'insert into leases (name, holder, expires_at) values (?, ?, ?) on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at',
            )
            .run(name, holder, now + ttlMs);
          return true;
        })
        .immediate(),
    );
  }

  /**
   * Gives the lease `name` up, if `holder` has it (a clean stop: another process may take over at
   * once). Never throws: a lease that cannot be deleted (a full disk) expires by itself.
   */
  releaseLease(name: string, holder: string): void {
    if (!this.#db.open) return;
    try {
      this.#writing(() => this.#db.prepare('delete from leases where name = ? and holder = ?').run(name, holder));
    } catch {
      // Broken (and said so once), or busy: the lease runs out after its time to live.
    }
  }

  /**
   * Deletes entries applied, found already applied or discarded before `before`: their receipts
   * have answered long enough. Pending and dead entries are never deleted. Then gives the space
   * back to the disk. Returns the count.
   */
  pruneFinished(before: string): number {
    const deleted = this.#writing(
      () => this.#db.prepare(`delete from entries where status in ('applied', 'duplicate', 'discarded') and finished_at < ?`).run(before).changes,
    );
    if (deleted > 0) this.#compact();
    return deleted;
  }

  /**
   * Gives the journal's unused space back to the disk: the WAL is checkpointed and cut to
   * nothing, free pages are released. Done when the journal drains and after pruning. A reader
   * in another process can keep the WAL from being cut this time; the next call does it.
   */
  #compact(): void {
    try {
      // NB: in this order: releasing pages writes to the WAL, which the checkpoint then empties.
      this.#db.pragma('incremental_vacuum');
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Busy: another process is writing; its own drain or the next prune compacts.
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, GROUP_COMMIT_MAX_BATCH);
      for (const item of batch) this.#unqueue(item);
      const insert = this.#db.prepare(
        `insert into entries (receipt, tenant_id, user_id, idempotency_key, fingerprint, command, command_version, payload, request_id, accepted_at, applied_if_audit, status_code, response, bytes, secret_fields, token_epoch)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const now = new Date().toISOString();
      try {
        this.#db.transaction(() => {
          for (const { append: a, json, bytes, receipt } of batch) {
            const u = a.uncertain;
            insert.run(
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
            );
          }
        })();
        this.#groupCommits++;
        this.#appendedTotal += batch.length;
        this.#pendingCount += batch.length;
        for (const listener of this.#listeners) listener();
        // NB: not sooner: another process's hasPending may still answer from a look taken just
        // before this commit, and a write its client sends after this receipt must not overtake it.
        acknowledgeAfter(performance.now() + JOURNAL_PEEK_INTERVAL_MS, () => {
          for (const item of batch) item.resolve(item.receipt);
        });
      } catch (error) {
        // NB: a failed write or fsync is never retried as if it had worked: the journal stops
        // taking writes, and these requests get 503, not 202, until a test write works again.
        const fault = this.#breaks(journalFaultOf(error, this.file, this.#dataDir), error);
        const failure = new JournalUnavailableError(fault.detail, fault.reason);
        const rest = this.#queue.splice(0);
        for (const item of rest) this.#unqueue(item);
        for (const item of [...batch, ...rest]) item.reject(failure);
      }
    }
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

  /** The oldest pending entries, in acceptance order; only those journaled after `afterSeq` when given. */
  pending(limit: number, afterSeq = 0): JournalEntry[] {
    return (this.#db.prepare(`select * from entries where status = 'pending' and seq > ? order by seq limit ?`).all(afterSeq, limit) as Row[]).map(toEntry);
  }

  /** One entry by receipt, only within its tenant. */
  byReceipt(tenantId: string, receipt: string): JournalEntry | undefined {
    const row = this.#db.prepare('select * from entries where receipt = ? and tenant_id = ?').get(receipt, tenantId) as Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** Counts an attempt before it runs (its own commit), so a crash mid-attempt is remembered. */
  startAttempt(seq: number): void {
    this.startAttempts([seq]);
  }

  /** {@link startAttempt} for a batch: one commit for all. */
  startAttempts(seqs: number[]): void {
    const update = this.#db.prepare('update entries set attempts_started = attempts_started + 1 where seq = ?');
    this.#writing(() =>
      this.#db.transaction(() => {
        for (const seq of seqs) update.run(seq);
      })(),
    );
  }

  /** Records how an attempt ended: still pending (a transient error) or a final status. */
  finishAttempt(seq: number, outcome: AttemptOutcome): void {
    this.finishAttempts([{ seq, ...outcome }]);
  }

  /** {@link finishAttempt} for a batch: one commit for all. */
  finishAttempts(outcomes: Array<AttemptOutcome & { seq: number }>): void {
    const update = this.#db.prepare(
      `update entries set attempts_finished = attempts_finished + 1, status = ?, status_code = coalesce(?, status_code),
       response = coalesce(?, response), last_error = coalesce(?, last_error), last_error_code = coalesce(?, last_error_code),
       finished_at = case when ? = 'pending' then finished_at else ? end where seq = ?`,
    );
    const now = new Date().toISOString();
    this.#writing(() =>
      this.#db.transaction(() => {
        for (const o of outcomes) {
          update.run(
            o.status,
            o.statusCode ?? null,
            o.response === undefined ? null : JSON.stringify(o.response),
            o.error ?? null,
            o.errorCode ?? null,
            o.status,
            now,
            o.seq,
          );
        }
      })(),
    );
    this.#pendingCount -= outcomes.filter((o) => o.status !== 'pending').length;
    if (this.#pendingCount <= 0 && this.#queue.length === 0) this.#compact();
  }

  /** Figures for health and the admin. */
  stats(): JournalStats {
    // NB: each figure through the (status, seq) index, never a scan of the whole file: applied
    // entries are kept for days, and /metrics, /health and the alert watch ask often.
    const count = (status: string) => (this.#db.prepare('select count(*) as n from entries where status = ?').get(status) as { n: number }).n;
    const oldest = this.#db.prepare(`select accepted_at from entries where status = 'pending' order by seq limit 1`).get() as
      { accepted_at: string } | undefined;
    return {
      pending: count('pending'),
      oldestPendingAt: oldest?.accepted_at ?? null,
      dead: count('dead'),
      groupCommits: this.#groupCommits,
      appendedTotal: this.#appendedTotal,
    };
  }

  /**
   * The figures of one tenant's share of the journal: its writes waiting, the oldest of them and
   * its dead letters (what a tenant's admin sees; the rest is the installation's).
   */
  tenantStats(tenantId: string): Pick<JournalStats, 'pending' | 'oldestPendingAt' | 'dead'> {
    // NB: forced through the (status, seq) index: only the pending and dead entries are read, not
    // the tenant's applied ones kept for days (which the (tenant_id, …) index would walk).
    const count = (status: string) =>
      (
        this.#db.prepare('select count(*) as n from entries indexed by entries_status_seq where status = ? and tenant_id = ?').get(status, tenantId) as {
          n: number;
        }
      ).n;
    const oldest = this.#db
      .prepare(`select accepted_at from entries indexed by entries_status_seq where status = 'pending' and tenant_id = ? order by seq limit 1`)
      .get(tenantId) as { accepted_at: string } | undefined;
    return { pending: count('pending'), oldestPendingAt: oldest?.accepted_at ?? null, dead: count('dead') };
  }

  /** How many writes wait, by command and the command version they were accepted under. */
  pendingByCommand(): Array<{ command: string; version: number; pending: number }> {
    return this.#db
      .prepare(
        `select command, command_version as version, count(*) as pending from entries where status = 'pending' group by command, command_version order by command, command_version`,
      )
      .all() as Array<{ command: string; version: number; pending: number }>;
  }

  /**
   * True when the journal can take a write now: it is not broken (a write that failed is followed
   * by a test write at most every {@link JOURNAL_REPROBE_INTERVAL_MS}, so this answer is never
   * older than that), and the writes waiting in it leave room under `JOURNAL_MAX_MB` (what the
   * file once grew to does not count).
   */
  writable(): boolean {
    return !this.#stillBroken() && this.#holding('').total + ENTRY_OVERHEAD_BYTES <= this.#maxBytes;
  }

  /** Why the journal takes no writes, while it is broken (a write, an fsync, or opening the file failed). */
  failure(): string | undefined {
    return this.#broken?.detail;
  }

  /** The fault that keeps the journal from taking writes, while it is broken (`JOURNAL_MAX_MB` reached is not a fault). */
  fault(): JournalFault | undefined {
    return this.#broken ? { ...this.#broken } : undefined;
  }

  /**
   * Tries a small test write now, whatever the journal last saw: what `robusto journal status`
   * reports, so it never answers from a state remembered. Undefined when the write worked and
   * there is room under `JOURNAL_MAX_MB`; else what is wrong.
   */
  probe(): { reason: JournalFaultReason; detail: string } | undefined {
    const fault = this.#testWrite();
    if (fault) return { reason: fault.reason, detail: fault.detail };
    if (this.#holding('').total + ENTRY_OVERHEAD_BYTES > this.#maxBytes) return { reason: 'limit', detail: this.#full() };
    return undefined;
  }

  /** What a journal whose waiting writes hold `JOURNAL_MAX_MB` says. */
  #full(): string {
    return `the journal is full (the writes waiting in it hold ${megabytes(this.#maxBytes)} MB, JOURNAL_MAX_MB)`;
  }

  /** Calls `listener` each time the journal takes writes again after it broke (the replayer resumes at once). */
  onRecover(listener: () => void): void {
    this.#recoveryListeners.push(listener);
  }

  /**
   * Runs a write to the file; an error that says the file cannot be written (see
   * {@link isStorageError}) breaks the journal before it is thrown on.
   */
  #writing<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      // NB: a stand-in's own refusal (read-only) would hide why the file could not be opened.
      if (isStorageError(error) && !this.#standIn) this.#breaks(journalFaultOf(error, this.file, this.#dataDir), error);
      throw error;
    }
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
        { file: this.file, reason: fault.reason, code: fault.code, err: error },
        'journal cannot take writes: writes get 503 while the database is down or writes wait in it',
      );
      this.#probeTimer = setInterval(() => this.#stillBroken(), JOURNAL_REPROBE_INTERVAL_MS);
      this.#probeTimer.unref();
    }
    return this.#broken;
  }

  /**
   * The fault, if the journal is broken still: a test write runs first when the last one is
   * {@link JOURNAL_REPROBE_INTERVAL_MS} old, and clears the fault if it works.
   */
  #stillBroken(): JournalFault | undefined {
    if (!this.#broken || performance.now() - this.#probedAt < JOURNAL_REPROBE_INTERVAL_MS) return this.#broken;
    return this.#testWrite();
  }

  /**
   * Opens the file if the journal is a stand-in for one that could not be opened, looks that the
   * disk has {@link JOURNAL_MIN_FREE_BYTES} free, then rewrites the {@link JOURNAL_PROBE_ROW}
   * lease (one small row, in place, committed with `synchronous=FULL` like an append): undefined
   * if all held (a broken journal is then mended, said once in the log, and the replayer
   * woken), else the fault.
   */
  #testWrite(): JournalFault | undefined {
    if (this.#closed) return this.#broken;
    this.#probedAt = performance.now();
    if (this.#standIn) {
      let db: SqliteDatabase.Database;
      try {
        db = this.#openFile();
      } catch (error) {
        return this.#breaks(cannotOpenFault(error, this.file, this.#dataDir), error);
      }
      this.#db.close();
      this.#use(db);
      this.#standIn = false;
    }
    const free = freeBytes(this.#dataDir);
    if (free !== undefined && free < JOURNAL_MIN_FREE_BYTES) {
      const short = Object.assign(new Error(`${megabytes(free)} MB free on it, under the ${megabytes(JOURNAL_MIN_FREE_BYTES)} MB the journal waits for`), {
        code: 'ENOSPC',
      });
      return this.#breaks(journalFaultOf(short, this.file, this.#dataDir), short);
    }
    try {
      this.#db
        .prepare('insert into leases (name, holder, expires_at) values (?, ?, 0) on conflict (name) do update set holder = excluded.holder, expires_at = 0')
        .run(JOURNAL_PROBE_ROW, new Date().toISOString());
    } catch (error) {
      if (isStorageError(error)) return this.#breaks(journalFaultOf(error, this.file, this.#dataDir), error);
      // Another process writing (busy) says nothing about the disk: the fault, if any, stands.
      return this.#broken;
    }
    const mended = this.#broken;
    if (!mended) return undefined;
    this.#broken = undefined;
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#log?.info(
      { file: this.file, reason: mended.reason, brokenSince: mended.since, brokenSeconds: Math.round((Date.now() - Date.parse(mended.since)) / 1000) },
      'journal takes writes again',
    );
    for (const listener of this.#recoveryListeners) listener();
    return undefined;
  }

  /** A tenant's dead letters, oldest first, after `afterSeq`. */
  deadLetters(tenantId: string | undefined, limit: number, afterSeq = 0): JournalEntry[] {
    const rows = tenantId
      ? this.#db.prepare(`select * from entries where status = 'dead' and tenant_id = ? and seq > ? order by seq limit ?`).all(tenantId, afterSeq, limit)
      : this.#db.prepare(`select * from entries where status = 'dead' and seq > ? order by seq limit ?`).all(afterSeq, limit);
    return (rows as Row[]).map(toEntry);
  }

  /**
   * Puts a dead letter back in the queue (at its old place: it is applied before anything
   * journaled after it), recording who asked. False if there is no such dead letter. Resolves,
   * like an append, no sooner than {@link JOURNAL_PEEK_INTERVAL_MS} after the change, so every
   * process sends the writes that follow the answer through the journal, behind it.
   */
  retryDead(tenantId: string, receipt: string, by: string): Promise<boolean> {
    const changed = this.#writing(
      () =>
        this.#db
          .prepare(
            `update entries set status = 'pending', retried_by = ?, retried_at = ?, finished_at = null where tenant_id = ? and receipt = ? and status = 'dead'`,
          )
          .run(by, new Date().toISOString(), tenantId, receipt).changes,
    );
    if (changed === 0) return Promise.resolve(false);
    this.#pendingCount++;
    for (const listener of this.#listeners) listener();
    return new Promise((resolve) => acknowledgeAfter(performance.now() + JOURNAL_PEEK_INTERVAL_MS, () => resolve(true)));
  }

  /** Gives up on a dead letter for good, recording who and why; the entry itself is kept. */
  discardDead(tenantId: string, receipt: string, by: string, reason: string): boolean {
    return this.#writing(
      () =>
        this.#db
          .prepare(
            `update entries set status = 'discarded', discarded_by = ?, discard_reason = ?, finished_at = ? where tenant_id = ? and receipt = ? and status = 'dead'`,
          )
          .run(by, reason, new Date().toISOString(), tenantId, receipt).changes > 0,
    );
  }

  /** Re-reads the pending count from the file (self-healing if another process touched it). */
  resyncPending(): void {
    this.#pendingCount = this.#countPending();
  }

  /** Closes the file (after the last append was flushed), and stops the test writes of a broken journal. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#probeTimer);
    this.#probeTimer = undefined;
    if (this.#queue.length === 0 && this.#db.open) this.#db.close();
  }
}
