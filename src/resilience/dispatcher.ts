import type { Insertable, Kysely, Transaction } from 'kysely';
import type { CoreTables } from '../db/core-tables.js';
import type { Database } from '../db/database.js';
import { executeUnread } from '../db/execute-unread.js';
import { insertRow, insertRows } from '../db/insert-rows.js';
import { isTransientError, savedNothing } from '../db/transient-errors.js';
import { uniqueViolationOf } from '../db/unique-violation.js';
import { AppError } from '../shared/app-error.js';
import { newId } from '../shared/ids.js';
import { isoInstant } from '../shared/iso-instant.js';
import type { Command, CommandContext, CommandOutcome } from './command.js';
import { createRetryPolicy } from './retry.js';
import type { RetryPolicy } from 'cockatiel';
import { reusedKey, WriteError } from './write-errors.js';
import { Hooks } from '../shared/hooks.js';
import { text } from '../shared/i18n/translate.js';

/**
 * Retries of a write on PostgreSQL: a short budget (about 1 s), because a longer outage is the
 * journal's business (docs/resilience.md), not the client's wait. SQLite keeps the default budget:
 * there a transient error is another process's lock, and waiting it out is right.
 */
export const POSTGRES_WRITE_RETRY = { maxRetries: 3, initialDelayMs: 50, maxDelayMs: 400 } as const;

/**
 * A write whose COMMIT was cut off: it may or may not have been saved. It carries what the
 * command answered before the COMMIT, so the write path can journal the write, and replay can
 * tell from the audit row (`DispatchMeta.auditId`) whether it was saved after all.
 */
export class WriteOutcomeUnknownError extends AppError {
  constructor(
    key: string | undefined,
    cause: unknown,
    readonly intended: { status: number; body: unknown },
  ) {
    super(WriteError.WRITE_OUTCOME_UNKNOWN, 503, key ? text('writes.outcomeUnknown.withKey') : text('writes.outcomeUnknown.withoutKey'), {
      retryAfterSeconds: 5,
      cause,
    });
  }
}

/** Who asks for a command, and how to recognise a repeated request. */
export interface DispatchMeta {
  tenantId: string;
  userId: string | null;
  requestId: string;
  /** The client's `Idempotency-Key`, if it sent one. */
  idempotencyKey?: string;
  /** SHA-256 of the request (method, route, principal, canonical body). */
  fingerprint: string;
  /** The token epoch of the request's token: a journaled write keeps it, so replay can tell a revoked token. */
  tokenEpoch?: number;
  /**
   * The id of the write's audit row, chosen by the caller: if the COMMIT's answer is lost, that
   * row tells later whether the write was saved. A new id when not given.
   */
  auditId?: string;
}

/** The outcome of a dispatched command; `replayed` when it is the stored first outcome of a key. */
export interface DispatchResult {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** One command of a batch replayed from the journal: journaled writes always have a key. */
export interface BatchItem {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commands of any payload and result, each typed where it is defined
  command: Command<any, any>;
  payload: unknown;
  meta: DispatchMeta & { idempotencyKey: string };
}

/** An item's outcome in a batch: its result, or the error that parks it without touching the database (a key reused with another body). */
export type BatchOutcome = { result: DispatchResult } | { error: AppError };

/** How {@link Dispatcher.dispatchBatch} runs. */
export interface BatchOptions {
  /**
   * Synchronous work to do while the database works on the batch's last INSERT (the replayer
   * reads its next batch from the journal): its time then overlaps the database's instead of
   * adding to it. Called at most once per attempt of the batch, and not at all if it fails first.
   * It must not throw: an error would roll the batch back.
   */
  meanwhile?: () => void;
}

/** Thrown by {@link Dispatcher.dispatchBatch} when the item at `index` failed: nothing of the batch was saved. */
export class BatchItemError extends Error {
  override readonly name = 'BatchItemError';
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {
    super(`batch item ${index} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * What a transaction's work decided: commit, resolving `value`, or roll back, saying why. Work
 * that throws still rolls back, and its error goes on: errors stay errors, decisions are values.
 */
type Decision<C, R> = { kind: 'commit'; value: C } | { kind: 'rollback'; reason: R };

/** Thrown by {@link decide}, and only there, to make the transaction roll back; caught right outside it. */
class RollbackSignal extends Error {
  constructor() {
    super('the transaction was rolled back by its work');
  }
}

/**
 * Runs `work` in a transaction of `database` and ends it as `work` decided: COMMIT, or ROLLBACK.
 *
 * NB: `Database.transaction` rolls back only when its callback throws, on both engines (Kysely's
 * `transaction().execute()` on SQLite; `postgresTransactions` on PostgreSQL, which keeps those
 * semantics): neither hands out a ROLLBACK to call. So a decision to roll back is thrown here,
 * as the one private {@link RollbackSignal}, and caught right outside the transaction; everything
 * above works on the returned decision.
 */
async function decide<C, R>(database: Database, work: (tx: Transaction<CoreTables>) => Promise<Decision<C, R>>): Promise<Decision<C, R>> {
  let rollback: { kind: 'rollback'; reason: R } | undefined;
  try {
    return await database.transaction(async (tx: Transaction<CoreTables>) => {
      const decision = await work(tx);
      if (decision.kind === 'commit') return decision;
      rollback = decision;
      throw new RollbackSignal();
    });
  } catch (error) {
    // NB: a ROLLBACK that failed throws its own error instead, which goes on like any other.
    if (rollback && error instanceof RollbackSignal) return rollback;
    throw error;
  }
}

type StoredKey = { fingerprint: string; status_code: number; response: string };

/** A stored key's first outcome for a repeat of its request, or 422 for another request under the same key. */
function storedResult(stored: StoredKey, fingerprint: string, key: string): BatchOutcome {
  if (stored.fingerprint !== fingerprint) return { error: reusedKey(key) };
  return { result: { status: stored.status_code, body: JSON.parse(stored.response) as unknown, replayed: true } };
}

/** {@link storedResult} for the single-command path, which throws the 422. */
function replayOrReject(stored: StoredKey, fingerprint: string, key: string): DispatchResult {
  const outcome = storedResult(stored, fingerprint, key);
  if ('error' in outcome) throw outcome.error;
  return outcome.result;
}

/** The audit row of a command that ran (its id chosen by the caller, or a new one). */
function auditRowOf(meta: DispatchMeta, action: string, outcome: CommandOutcome, at: string): Insertable<CoreTables['audit_log']> {
  return {
    id: meta.auditId ?? newId(),
    tenant_id: meta.tenantId,
    user_id: meta.userId,
    action,
    entity: outcome.entity,
    entity_id: outcome.entityId,
    request_id: meta.requestId,
    created_at: at,
  };
}

/**
 * How an attempt of {@link Dispatcher.dispatchBatch} applies its items. `bulk`: consecutive
 * items of a command with `handleMany` go to it together. `lookUpKeys`: the keys already stored
 * are read first, and the items they cover answer from them; without it, a key found stored by
 * the keys' INSERT rolls the batch back.
 */
interface BatchWay {
  bulk: boolean;
  lookUpKeys: boolean;
}

/** Why an attempt of a batch was rolled back: a key was stored already, a bulk handler refused its items, or an item's handler failed. */
type BatchRollback = { kind: 'keys-taken' } | { kind: 'bulk-refused'; cause: unknown } | { kind: 'item-failed'; index: number; error: unknown };

/** The way to apply a batch again after `rollback`, or undefined when none is left and the rollback is the batch's failure. */
function nextWay(way: BatchWay, rollback: BatchRollback): BatchWay | undefined {
  // A key was there after all: look them up first, so the items it covers answer from it.
  if (rollback.kind === 'keys-taken' && !way.lookUpKeys) return { ...way, lookUpKeys: true };
  // A bulk handler could not take its items (one breaks a rule): one at a time finds which.
  if (rollback.kind === 'bulk-refused' && way.bulk) return { bulk: false, lookUpKeys: true };
  return undefined;
}

/** The error {@link Dispatcher.dispatchBatch} fails with after `rollback`, when no other way is left. */
function batchFailure(rollback: BatchRollback): Error {
  switch (rollback.kind) {
    case 'item-failed':
      return new BatchItemError(rollback.index, rollback.error);
    case 'keys-taken':
      return new Error('an idempotency key of the batch is already stored');
    case 'bulk-refused':
      return new Error('a bulk handler refused its items', { cause: rollback.cause });
  }
}

/** The key of a stored or new idempotency key in {@link BatchRun}'s map. */
function idOf(tenantId: string, key: string): string {
  return `${tenantId}\n${key}`;
}

/**
 * The work of one attempt of {@link Dispatcher.dispatchBatch} in its transaction: runs the
 * items' handlers in order (consecutive items of a command with `handleMany` in one call, when
 * `way.bulk`), then one insert stores every new key with its outcome and one more every audit
 * row. Decides to commit, with each item's outcome, or to roll back, saying why; a transient
 * error of a bulk handler, or one of the inserts, is thrown on.
 */
class BatchRun {
  readonly #tx: Transaction<CoreTables>;
  readonly #items: BatchItem[];
  readonly #way: BatchWay;
  readonly #clock: { now: string; expiresAt: string };
  readonly #hooks: Hooks;
  /** The keys stored (read first, or written by an item before), by {@link idOf}. */
  readonly #known = new Map<string, StoredKey>();
  readonly #keys: Array<Insertable<CoreTables['idempotency_keys']>> = [];
  readonly #audits: Array<Insertable<CoreTables['audit_log']>> = [];
  readonly #outcomes: BatchOutcome[];
  /** Consecutive items waiting for one handleMany call, and their keys (a repeat among them flushes first). */
  #run: number[] = [];
  readonly #inRun = new Set<string>();

  /** `clock`: the handlers' `now` and the new keys' expiry. */
  constructor(tx: Transaction<CoreTables>, items: BatchItem[], way: BatchWay, clock: { now: string; expiresAt: string }, hooks: Hooks) {
    this.#tx = tx;
    this.#items = items;
    this.#way = way;
    this.#clock = clock;
    this.#hooks = hooks;
    this.#outcomes = new Array<BatchOutcome>(items.length);
  }

  /** Applies the batch; see the class comment and {@link BatchOptions.meanwhile}. */
  async apply(meanwhile: (() => void) | undefined): Promise<Decision<BatchOutcome[], BatchRollback>> {
    if (this.#way.lookUpKeys) await this.#lookUpKeys();
    const failed = await this.#runItems();
    if (failed) return { kind: 'rollback', reason: failed };
    if (this.#keys.length > 0 && !(await this.#insertKeys())) return { kind: 'rollback', reason: { kind: 'keys-taken' } };
    if (this.#audits.length > 0) await this.#insertAudits(meanwhile);
    return { kind: 'commit', value: this.#outcomes };
  }

  /** Reads the keys of the batch already stored. */
  async #lookUpKeys(): Promise<void> {
    const items = this.#items;
    const stored = await this.#tx
      .selectFrom('idempotency_keys')
      .select(['tenant_id', 'key', 'fingerprint', 'status_code', 'response'])
      .where('tenant_id', 'in', [...new Set(items.map((i) => i.meta.tenantId))])
      .where(
        'key',
        'in',
        items.map((i) => i.meta.idempotencyKey),
      )
      .execute();
    for (const row of stored) this.#known.set(idOf(row.tenant_id, row.key), row);
  }

  /** Runs every item (or answers it from its stored key): undefined when all ran, else why the batch rolls back. */
  async #runItems(): Promise<BatchRollback | undefined> {
    for (const [index, item] of this.#items.entries()) {
      const id = idOf(item.meta.tenantId, item.meta.idempotencyKey);
      if (this.#flushesBefore(item, id)) {
        const refused = await this.#flush();
        if (refused) return refused;
      }
      const failed = await this.#take(index, item, id);
      if (failed) return failed;
    }
    return this.#flush();
  }

  /** True when the items waiting for handleMany must run before `item` (its key among theirs, or another handler). */
  #flushesBefore(item: BatchItem, id: string): boolean {
    if (this.#run.length === 0) return false;
    if (this.#inRun.has(id)) return true;
    if (this.#known.has(id)) return false;
    if (this.#way.bulk && item.command.handleMany) return (this.#items[this.#run[0] as number] as BatchItem).command !== item.command;
    return true;
  }

  /** Answers `item` from its stored key, queues it for handleMany, or runs its handler: undefined, or the handler's failure. */
  async #take(index: number, { command, payload, meta }: BatchItem, id: string): Promise<BatchRollback | undefined> {
    const prior = this.#known.get(id);
    if (prior) {
      this.#outcomes[index] = storedResult(prior, meta.fingerprint, meta.idempotencyKey);
      return undefined;
    }
    if (this.#way.bulk && command.handleMany) {
      this.#run.push(index);
      this.#inRun.add(id);
      return undefined;
    }
    try {
      this.#ran(index, await command.handler(this.#tx, payload, this.#contextOf(meta)));
      return undefined;
    } catch (error) {
      return { kind: 'item-failed', index, error };
    }
  }

  /** Runs the items waiting for handleMany: undefined, or the handler's refusal (a transient error is thrown on). */
  async #flush(): Promise<BatchRollback | undefined> {
    if (this.#run.length === 0) return undefined;
    const indexes = this.#run;
    this.#run = [];
    this.#inRun.clear();
    const command = (this.#items[indexes[0] as number] as BatchItem).command;
    let results: CommandOutcome[];
    try {
      results = await command.handleMany!(
        this.#tx,
        indexes.map((i) => ({ payload: (this.#items[i] as BatchItem).payload, ctx: this.#contextOf((this.#items[i] as BatchItem).meta) })),
      );
    } catch (error) {
      if (isTransientError(error)) throw error;
      return { kind: 'bulk-refused', cause: error };
    }
    if (results.length !== indexes.length) throw new Error(`${command.name}.handleMany returned ${results.length} outcomes for ${indexes.length} items`);
    indexes.forEach((index, n) => this.#ran(index, results[n] as CommandOutcome));
    return undefined;
  }

  /** Keeps what the item at `index` ran to: its key and audit row to insert, its outcome. */
  #ran(index: number, outcome: CommandOutcome): void {
    const { command, meta } = this.#items[index] as BatchItem;
    const key = {
      tenant_id: meta.tenantId,
      key: meta.idempotencyKey,
      fingerprint: meta.fingerprint,
      command: command.name,
      status_code: outcome.status,
      response: JSON.stringify(outcome.body),
      created_at: this.#clock.now,
      expires_at: this.#clock.expiresAt,
    };
    this.#keys.push(key);
    this.#known.set(idOf(meta.tenantId, meta.idempotencyKey), key);
    this.#audits.push(auditRowOf(meta, command.name, outcome, this.#clock.now));
    this.#outcomes[index] = { result: { status: outcome.status, body: outcome.body, replayed: false } };
  }

  #contextOf(meta: DispatchMeta): CommandContext {
    return { tenantId: meta.tenantId, userId: meta.userId, requestId: meta.requestId, now: this.#clock.now, hooks: this.#hooks };
  }

  /** Inserts the new keys: true if all were, false if one was stored already. */
  async #insertKeys(): Promise<boolean> {
    // The count of rows inserted (a stored key is skipped) says enough: no RETURNING to send back.
    const inserted = await insertRows(this.#tx, 'idempotency_keys', this.#keys)
      .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows) === this.#keys.length;
  }

  /** Inserts the audit rows, running `meanwhile` while the database works on them. */
  async #insertAudits(meanwhile: (() => void) | undefined): Promise<void> {
    const inserting = insertRows(this.#tx, 'audit_log', this.#audits).execute();
    // NB: handled at once, and awaited below: on SQLite the INSERT fails within this very
    // turn, and a rejection unhandled until after setImmediate would stop the process.
    inserting.catch(() => undefined);
    try {
      if (meanwhile) {
        // NB: after a turn of the event loop, so that the INSERT (and, when the database is
        // reached through a local proxy, its forwarding) is on the wire before the caller's
        // synchronous work holds the thread.
        await new Promise((resolve) => setImmediate(resolve));
        meanwhile();
      }
    } finally {
      await inserting;
    }
  }
}

/**
 * Runs commands: one database transaction per command that claims the `Idempotency-Key` (if
 * any), runs the handler, stores the outcome under the key, writes the audit row and commits.
 * Transient errors are retried (the whole transaction); unique violations a command declared
 * become its own errors.
 *
 * A key already used with the same fingerprint returns the stored first outcome; with another
 * fingerprint, 422. Two concurrent requests with one key cannot both write: the second waits on
 * the key's primary key and then returns the first one's outcome.
 */
export class Dispatcher {
  readonly #db: Kysely<CoreTables>;
  readonly #database: Database;
  readonly #retry: RetryPolicy;
  readonly #ttlMs: number;
  readonly #hooks: Hooks;

  /** `hooks` are the app's, handed to every handler (a new, empty set when not given). */
  constructor(db: Database, options: { idempotencyTtlHours: number; hooks?: Hooks }) {
    this.#db = db.kysely as Kysely<CoreTables>;
    this.#database = db;
    this.#retry = createRetryPolicy(db.engine === 'postgres' ? POSTGRES_WRITE_RETRY : {});
    this.#ttlMs = options.idempotencyTtlHours * 3_600_000;
    this.#hooks = options.hooks ?? new Hooks();
  }

  /**
   * Runs `command` with `payload` for `meta`'s principal; see the class comment. `replay` is the
   * journal's replayer: no retries (it backs off itself), and a stored key counts even past its
   * expiry, since the journal entry proves that this very request is being repeated.
   */
  async dispatch<P, R>(command: Command<P, R>, payload: P, meta: DispatchMeta, options: { replay?: boolean } = {}): Promise<DispatchResult> {
    const replay = options.replay ?? false;
    let decision: Decision<DispatchResult, BatchOutcome>;
    try {
      decision = await (replay ? this.#attempt(command, payload, meta, true) : this.#retry.execute(() => this.#attempt(command, payload, meta, false)));
    } catch (error) {
      const key = meta.idempotencyKey;
      const violation = uniqueViolationOf(error);
      if (key && violation?.table === 'idempotency_keys') {
        // A concurrent request with the same key committed first: answer with its outcome.
        const stored = await this.#storedOutcome(this.#db, meta.tenantId, key, replay ? undefined : new Date().toISOString());
        if (stored) return replayOrReject(stored, meta.fingerprint, key);
      }
      if (violation) {
        const rule = command.conflicts?.find((r) => r.table === violation.table && r.columns.every((c) => violation.columns.includes(c)));
        if (rule) throw rule.error(payload);
      }
      throw error;
    }
    if (decision.kind === 'commit') return decision.value;
    // The key was stored already: nothing was written, and its first outcome (or 422) answers.
    if ('error' in decision.reason) throw decision.reason.error;
    return decision.reason.result;
  }

  /** One attempt of {@link dispatch}: its transaction's decision (rolled back: the key's stored outcome answers). */
  async #attempt<P, R>(command: Command<P, R>, payload: P, meta: DispatchMeta, replay: boolean): Promise<Decision<DispatchResult, BatchOutcome>> {
    const now = Date.now();
    const ctx: CommandContext = { tenantId: meta.tenantId, userId: meta.userId, requestId: meta.requestId, now: isoInstant(now), hooks: this.#hooks };
    let committing: DispatchResult | undefined;
    try {
      return await decide(this.#database, (tx) =>
        this.#transaction(tx, { command, payload, meta, ctx, now, replay }, (result) => {
          committing = result;
        }),
      );
    } catch (error) {
      // NB: a connection lost during COMMIT (and the statements sent with it) leaves the outcome
      // unknown: the server may have committed. Retrying would then apply the write twice, so it
      // is not retried. A server that answered with a rollback (a deadlock), or a message the
      // socket refused to send, saved nothing.
      if (committing && isTransientError(error) && !savedNothing(error))
        throw new WriteOutcomeUnknownError(meta.idempotencyKey, error, { status: committing.status, body: committing.body });
      throw error;
    }
  }

  /**
   * The work of {@link dispatch}'s transaction: claims the key, runs the handler, stores its
   * outcome under the key and writes the audit row; `onCommit` hears the result just before it
   * is committed. Rolled back, having written nothing, when the key is stored already: the
   * reason is what answers (the first outcome, or 422 for another request).
   */
  async #transaction<P, R>(
    tx: Transaction<CoreTables>,
    run: { command: Command<P, R>; payload: P; meta: DispatchMeta; ctx: CommandContext; now: number; replay: boolean },
    onCommit: (result: DispatchResult) => void,
  ): Promise<Decision<DispatchResult, BatchOutcome>> {
    const { command, meta, ctx } = run;
    const key = meta.idempotencyKey;
    if (key) {
      const stored = await this.#storedOutcome(tx, meta.tenantId, key, run.replay ? undefined : ctx.now);
      if (stored) return { kind: 'rollback', reason: storedResult(stored, meta.fingerprint, key) };
      await this.#claimKey(tx, run, key);
    }
    const outcome = await command.handler(tx, run.payload, ctx);
    if (key) {
      await executeUnread(
        tx,
        tx
          .updateTable('idempotency_keys')
          .set({ status_code: outcome.status, response: JSON.stringify(outcome.body) })
          .where('tenant_id', '=', meta.tenantId)
          .where('key', '=', key),
      );
    }
    await insertRow(tx, 'audit_log', auditRowOf(meta, command.name, outcome, ctx.now));
    const result = { status: outcome.status, body: outcome.body, replayed: false };
    onCommit(result);
    return { kind: 'commit', value: result };
  }

  /** Stores `key` for the command about to run, its outcome still empty (an expired one it replaces). */
  async #claimKey(
    tx: Transaction<CoreTables>,
    run: { command: { name: string }; meta: DispatchMeta; ctx: CommandContext; now: number },
    key: string,
  ): Promise<void> {
    const { meta, ctx } = run;
    // NB: only an expired key may be removed. Without the expiry condition this DELETE would
    // also see, and remove, the key of a concurrent request that committed a moment ago
    // (READ COMMITTED), and the write would run twice.
    await executeUnread(tx, tx.deleteFrom('idempotency_keys').where('tenant_id', '=', meta.tenantId).where('key', '=', key).where('expires_at', '<=', ctx.now));
    await insertRow(tx, 'idempotency_keys', {
      tenant_id: meta.tenantId,
      key,
      fingerprint: meta.fingerprint,
      command: run.command.name,
      status_code: 0,
      response: '',
      created_at: ctx.now,
      expires_at: isoInstant(run.now + this.#ttlMs),
    });
  }

  /**
   * Applies a batch of journaled commands, in order, in one transaction: each handler runs
   * (consecutive items of a command with `handleMany` in one call), then one insert stores every
   * new key with its outcome and one more every audit row. Far fewer round trips than one
   * transaction each, which is what lets the journal drain faster than it fills.
   *
   * The quick way assumes two things and checks both, falling back to the careful way. No key is
   * stored yet, so none is looked up: a stored one (the rare crash between a commit and the
   * journal's mark) makes the keys INSERT find it, and the batch runs again with its keys looked
   * up first, the items they cover answering from them. Bulk handlers take their items: one that
   * throws (other than a transient error) makes the batch run again with each item's own handler.
   *
   * All or nothing: if a handler fails (whatever the error), the transaction is rolled back and
   * {@link BatchItemError} says which item, so the caller can apply the items before it again and
   * that one alone. There is no savepoint per item on purpose: failures are rare, and a savepoint
   * would cost two more round trips for every item. Keys count even past their expiry, as in
   * `dispatch(…, { replay: true })`.
   */
  async dispatchBatch(items: BatchItem[], options: BatchOptions = {}): Promise<BatchOutcome[]> {
    // First the quick way: bulk handlers, and no look-up of the keys (a key already in the
    // database is rare: a crash between a commit and the journal's mark). Its INSERT finds it,
    // and the batch is applied again the careful way.
    let way: BatchWay = { bulk: true, lookUpKeys: false };
    for (;;) {
      const decision = await this.#batch(items, way, options.meanwhile);
      if (decision.kind === 'commit') return decision.value;
      const next = nextWay(way, decision.reason);
      if (!next) throw batchFailure(decision.reason);
      way = next;
    }
  }

  /** One attempt of {@link dispatchBatch}, the way `way` says, in its own transaction (see {@link BatchRun}). */
  #batch(items: BatchItem[], way: BatchWay, meanwhile: (() => void) | undefined): Promise<Decision<BatchOutcome[], BatchRollback>> {
    const now = Date.now();
    const clock = { now: isoInstant(now), expiresAt: isoInstant(now + this.#ttlMs) };
    return decide(this.#database, (tx) => new BatchRun(tx, items, way, clock, this.#hooks).apply(meanwhile));
  }

  /** True when the audit row `auditId` exists: the write that made it was committed. */
  async committed(tenantId: string, auditId: string): Promise<boolean> {
    const row = await this.#db.selectFrom('audit_log').select('id').where('id', '=', auditId).where('tenant_id', '=', tenantId).executeTakeFirst();
    return row !== undefined;
  }

  /** The key's stored outcome; only an unexpired one when `now` is given. */
  async #storedOutcome(db: Kysely<CoreTables> | Transaction<CoreTables>, tenantId: string, key: string, now: string | undefined) {
    let query = db.selectFrom('idempotency_keys').select(['fingerprint', 'status_code', 'response']).where('tenant_id', '=', tenantId).where('key', '=', key);
    if (now) query = query.where('expires_at', '>', now);
    return query.executeTakeFirst();
  }

  /**
   * Deletes expired keys, except any created at or after `keepFrom` (the oldest pending journal
   * entry's acceptance: a key that entry may have written before its mark was lost must outlive
   * it). Returns the count.
   */
  async pruneKeys(now: string, keepFrom: string | null): Promise<number> {
    let query = this.#db.deleteFrom('idempotency_keys').where('expires_at', '<=', now);
    if (keepFrom) query = query.where('created_at', '<', keepFrom);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
