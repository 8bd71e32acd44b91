import { BrokenCircuitError } from 'cockatiel';
import { errorCodeOf, isTransientError } from '../db/transient-errors.js';
import type { Logger } from '../log/create-logger.js';
import { isAppError } from '../shared/app-error.js';
import type { DatabaseCircuit } from './circuit.js';
import { upcastPayload, type AuthorCheck, type Command } from './command.js';
import { BatchItemError, WriteOutcomeUnknownError, type BatchItem, type BatchOutcome, type DispatchResult, type Dispatcher } from './dispatcher.js';
import type { AttemptOutcome, JournalEntry } from './journal/entry.js';
import type { Journal } from './journal/journal.js';
import { WriteError } from './write-errors.js';
import { holderGone, holderName } from './lock-holder.js';

/** Entries read per round. */
export const REPLAY_BATCH_SIZE = 1000;
/** An entry whose attempts started this many times without finishing (it kills the process) is parked. */
export const REPLAY_MAX_UNFINISHED_ATTEMPTS = 3;
/** First and longest wait after a transient failure, with jitter in between. */
export const REPLAY_RETRY_INITIAL_MS = 250;
export const REPLAY_RETRY_MAX_MS = 10_000;
/** How often an idle replayer looks at the journal even without an append (entries from before a restart). */
export const REPLAY_IDLE_POLL_MS = 1_000;
/** How long the replay lease lasts without renewal: a replayer that died is taken over after this. */
export const REPLAY_LEASE_TTL_MS = 15_000;
/** The lease that makes one replayer per journal, across the processes sharing `DATA_DIR`. */
export const REPLAY_LEASE = 'replay';

/** Whether an entry's author may still make it: `undefined` when they may, else why not. */
type Verdict = (entry: JournalEntry, command: Command<unknown, unknown>) => Error | undefined;

/** A pending entry whose command is loaded, with its payload in the command's current version. */
type Runnable = { entry: JournalEntry; command: Command<unknown, unknown>; payload: unknown };

/** How a round ended: all applied, stopped on an entry that cannot be applied now, or another process replays. */
export type ReplayOutcome = 'drained' | 'blocked' | 'busy';

/** A replay round, as the admin shows the last one. */
export interface ReplayRound {
  /** When it ended (ISO 8601). */
  at: string;
  applied: number;
  outcome: ReplayOutcome;
}

/**
 * Applies the journal to the database, oldest first, in batches, exactly once: each entry runs
 * through the dispatcher under the idempotency key it was journaled with, so an entry already
 * applied (the process died between the database's commit and the journal's mark) is found as a
 * duplicate instead of applied twice. A batch is one database transaction; an entry that fails
 * in it is retried alone, after the ones before it.
 *
 * A transient error stops the round and keeps the entry at the head (order is kept), then the
 * replayer backs off with jitter. A permanent one (a constraint, bad data, a key reused with
 * another body) parks the entry as `dead` with its problem, never dropped, and replay goes on.
 * One replayer per journal at a time: processes sharing `DATA_DIR` (workers) take turns through a
 * lease in the journal file.
 */
export class Replayer {
  readonly #controller = new AbortController();
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #holder = holderName({ unique: true });
  /**
   * The outcomes of the last batch the database committed, not yet marked in the journal: they
   * are written while the database works on the next batch, or before anything else reads or
   * marks the journal. A process that dies first leaves them pending, and their keys, committed
   * with them, make the next replay find them as duplicates: never applied twice.
   */
  #unmarked: Array<AttemptOutcome & { seq: number }> = [];
  #lastRound: ReplayRound | undefined;
  #inFlight: Promise<ReplayRound | { outcome: 'busy'; applied: 0 }> | undefined;
  #roundListeners: Array<(round: ReplayRound) => void> = [];

  constructor(
    private readonly journal: Journal,
    private readonly dispatcher: Dispatcher,
    private readonly circuit: DatabaseCircuit,
    private readonly commandOf: (name: string) => Command<unknown, unknown> | undefined,
    private readonly authors: AuthorCheck,
    private readonly log: Logger,
  ) {
    journal.onAppend(() => this.#wake?.());
    journal.onRecover(() => this.#wake?.());
    circuit.onClose(() => this.#wake?.());
  }

  /** Calls `listener` after each replay round that took the lease (`busy` ones are not rounds). */
  onRound(listener: (round: ReplayRound) => void): void {
    this.#roundListeners.push(listener);
  }

  /** Starts the loop in the background. */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** Stops after the entry in progress; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#controller.abort();
    this.#wake?.();
    await this.#running;
    this.#markQuietly();
  }

  async #loop(): Promise<void> {
    let delay = REPLAY_RETRY_INITIAL_MS;
    while (!this.#controller.signal.aborted) {
      // A broken journal (a full disk) can take no lease and no mark: the replayer waits for it to
      // mend, which wakes it at once.
      if (!this.journal.hasPending() || this.journal.fault()) {
        await this.#pause(REPLAY_IDLE_POLL_MS);
        continue;
      }
      const outcome = await this.drain().catch((error: unknown) => {
        // A write to the journal that broke it: the journal said so once; the loop waits for it.
        if (!this.journal.fault()) this.log.error({ err: error }, 'journal replay failed unexpectedly; will retry');
        return 'blocked' as const;
      });
      if (outcome === 'drained') {
        delay = REPLAY_RETRY_INITIAL_MS;
        continue;
      }
      // Backs off with jitter; the database circuit closing (a probe got through) wakes it early.
      await this.#pause(delay / 2 + Math.random() * (delay / 2));
      delay = Math.min(delay * 2, REPLAY_RETRY_MAX_MS);
    }
  }

  /** Waits `ms`, or less if an append, the circuit closing or `stop()` wakes the loop. */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** This process's last replay round, if any: when it ended, how many writes it applied, and how it ended. */
  lastRound(): ReplayRound | undefined {
    return this.#lastRound;
  }

  /**
   * Replays pending entries until none is left ('drained'), one cannot be applied now
   * ('blocked': the database is unreachable, or its module is not loaded), or another process
   * holds the replay lease ('busy').
   */
  async drain(): Promise<ReplayOutcome> {
    return (await this.round()).outcome;
  }

  /**
   * {@link drain}, answering how many writes the round applied too. One round at a time in this
   * process: a call while one runs (the loop's, or an admin's "process now") waits for that one
   * and answers its outcome, since the lease, held by the process, would not keep two apart.
   */
  round(): Promise<ReplayRound | { outcome: 'busy'; applied: 0 }> {
    this.#inFlight ??= this.#round().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  // eslint-disable-next-line max-lines-per-function -- one replay round, from taking the lease to its outcome, reads top to bottom
  async #round(): Promise<ReplayRound | { outcome: 'busy'; applied: 0 }> {
    let applied = 0;
    const finish = (outcome: ReplayOutcome): ReplayRound => {
      this.#markQuietly();
      this.journal.releaseLease(REPLAY_LEASE, this.#holder);
      this.#lastRound = { at: new Date().toISOString(), applied, outcome };
      if (applied > 0) this.log.info({ applied, outcome, pending: this.journal.stats().pending }, 'journal replayed');
      for (const listener of this.#roundListeners) listener(this.#lastRound);
      return this.#lastRound;
    };
    const first = this.#lease();
    if (first === 'unwritable') return finish('blocked');
    if (first === 'busy') {
      // Marks this process still holds are true whoever replays now: written, so the other does not redo them.
      this.#markQuietly();
      return { outcome: 'busy', applied: 0 };
    }
    // Renewed before each batch, and within one when it goes an entry at a time (after a crash).
    let leaseRenewedAt = Date.now();
    const renewLease = (options: { due?: boolean } = {}): 'held' | 'busy' | 'unwritable' => {
      if (options.due && Date.now() - leaseRenewedAt < REPLAY_LEASE_TTL_MS / 3) return 'held';
      leaseRenewedAt = Date.now();
      return this.#lease();
    };
    if (!(await this.circuit.probe())) return finish('blocked');
    this.#markCommitted();
    let batch = this.journal.pending(REPLAY_BATCH_SIZE);
    for (;;) {
      const lease = renewLease();
      if (lease !== 'held') return finish(lease === 'busy' ? 'busy' : 'blocked');
      if (batch.length === 0) {
        this.#markCommitted();
        this.journal.resyncPending();
        return finish('drained');
      }
      // The journal's work, done while the database applies a run: the previous run's marks,
      // and, during this batch's last run, reading the batch after it. Only the replayer changes
      // pending entries, and it finishes every entry of this batch before taking the next, so
      // what it reads stays true.
      const lastSeq = (batch[batch.length - 1] as JournalEntry).seq;
      let next: JournalEntry[] | undefined;
      const readNext = () => {
        if (!this.#markQuietly()) return;
        try {
          next = this.journal.pending(REPLAY_BATCH_SIZE, lastSeq);
        } catch (error) {
          this.log.warn({ err: error }, 'journal read-ahead failed; the next batch is read after this one');
        }
      };
      // The authors' rights of the moment, read once for the batch and again only after a write
      // that can change rights was applied (a run ends after one), so none is applied on rights
      // that write took away.
      let verdict: Verdict | undefined;
      for (let i = 0; i < batch.length;) {
        if (this.#controller.signal.aborted) return finish('blocked');
        const lease = renewLease({ due: true });
        if (lease !== 'held') return finish(lease === 'busy' ? 'busy' : 'blocked');
        verdict ??= await this.#verdictFor(batch.slice(i));
        if (!verdict) return finish('blocked');
        const run = this.#batchable(batch, i, verdict);
        const last = i + run.length === batch.length;
        const done =
          run.length >= 2
            ? await this.#replayBatch(run, verdict, last ? readNext : () => this.#markQuietly())
            : await this.#replayOne(batch[i] as JournalEntry, verdict);
        if (done === 'blocked') return finish('blocked');
        if (batch.slice(i, i + done).some((entry) => this.commandOf(entry.command)?.changesRights)) verdict = undefined;
        applied += done;
        i += done;
      }
      // NB: a dead letter put back in the queue meanwhile, at its old place, waits for the read
      // after `next`: as if its retry had come a batch later. A fresh read marks first, or it
      // would see the last batch as still pending.
      if (!next) this.#markCommitted();
      batch = next ?? this.journal.pending(REPLAY_BATCH_SIZE);
    }
  }

  /**
   * Takes or renews the replay lease: 'held', 'busy' (another process replays), or 'unwritable'
   * (the journal cannot be written, a full disk: the round stops, and the loop resumes once the
   * journal mends).
   */
  #lease(): 'held' | 'busy' | 'unwritable' {
    try {
      return this.journal.acquireLease(REPLAY_LEASE, this.#holder, REPLAY_LEASE_TTL_MS, holderGone) ? 'held' : 'busy';
    } catch (error) {
      if (this.journal.fault()) return 'unwritable';
      throw error;
    }
  }

  /**
   * The entries from `from` on that can be replayed together: their commands are loaded, no
   * earlier attempt of theirs was cut off (those go alone, so that only the one that stops the
   * process is counted), none waits for an audit-row check, and each one's payload can be read
   * by its command's current version (one that cannot goes alone, and is parked).
   */
  #batchable(batch: JournalEntry[], from: number, verdict: Verdict): Runnable[] {
    const run: Runnable[] = [];
    for (const entry of batch.slice(from)) {
      const command = this.commandOf(entry.command);
      if (!command || entry.attemptsStarted !== entry.attemptsFinished || entry.appliedIfAudit || verdict(entry, command)) break;
      let payload: unknown;
      try {
        payload = upcastPayload(command, entry.payload, entry.commandVersion);
      } catch {
        break;
      }
      run.push({ entry, command, payload });
      if (command.changesRights) break;
    }
    return run;
  }

  /**
   * The verdict on the authors of `entries`, read from the database (one query); `undefined`
   * when it cannot be read now (a transient error: the round stops, order is kept).
   */
  async #verdictFor(entries: JournalEntry[]): Promise<Verdict | undefined> {
    try {
      return await this.circuit.execute(() => this.authors(entries));
    } catch (error) {
      if (isTransientError(error) || error instanceof BrokenCircuitError) return undefined;
      throw error;
    }
  }

  /**
   * Replays `run` in one database transaction (see `Dispatcher.dispatchBatch`), with one journal
   * commit to count the attempts and one to mark the outcomes, the latter left to `meanwhile`
   * of the next run (see {@link #unmarked}). Returns how many entries it finished: all of them;
   * when one failed, those before it (the next round takes that one alone, which parks it as
   * dead if it fails again); when the first or the batch as a whole failed, the first alone; or
   * 'blocked' on a transient error.
   */
  async #replayBatch(run: Runnable[], verdict: Verdict, meanwhile: () => void): Promise<number | 'blocked'> {
    this.journal.startAttempts(run.map((r) => r.entry.seq));
    try {
      const items = run.map(({ entry, command, payload }) => ({ command, payload, meta: metaOf(entry) }));
      const outcomes = await this.circuit.execute(() => this.dispatcher.dispatchBatch(items, { meanwhile }));
      // NB: the database committed first; only then are the entries marked: during the next run
      // (with any marks a failed write left), or before anything else reads the journal.
      this.#unmarked.push(
        ...run.map(({ entry }, i) => {
          const outcome = outcomes[i] as BatchOutcome;
          return { seq: entry.seq, ...('result' in outcome ? appliedOutcome(outcome.result) : this.#parked(outcome.error, entry)) };
        }),
      );
      return run.length;
    } catch (error) {
      this.#markCommitted();
      // Nothing of the batch was saved: its attempts end, its entries stay pending.
      const transient = isTransientError(error) || error instanceof BrokenCircuitError;
      // The admin is shown the database's own error (and its code), not the batch's wrapper.
      const seen = error instanceof BatchItemError ? error.error : error;
      this.journal.finishAttempts(run.map((r) => ({ seq: r.entry.seq, ...(transient ? pendingOutcome(seen) : { status: 'pending' as const }) })));
      if (transient) return 'blocked';
      if (error instanceof BatchItemError && error.index > 0) return this.#replayBatch(run.slice(0, error.index), verdict, () => this.#markQuietly());
      // The first item failed, or the batch as a whole (its keys' or audit rows' INSERT): the
      // first entry goes alone, which parks it as dead if it fails again, and the rest follow.
      return this.#replayOne((run[0] as Runnable).entry, verdict);
    }
  }

  /** {@link #replay} counted as a run of one. */
  async #replayOne(entry: JournalEntry, verdict: Verdict): Promise<1 | 'blocked'> {
    return (await this.#replay(entry, verdict)) === 'done' ? 1 : 'blocked';
  }

  async #replay(entry: JournalEntry, verdict: Verdict): Promise<'done' | 'blocked'> {
    this.#markCommitted();
    if (entry.attemptsStarted - entry.attemptsFinished >= REPLAY_MAX_UNFINISHED_ATTEMPTS) {
      this.journal.finishAttempt(entry.seq, {
        status: 'dead',
        error: `${entry.attemptsStarted - entry.attemptsFinished} attempts started and never finished (the process stopped during each)`,
      });
      this.log.error(
        { receipt: entry.receipt, command: entry.command, tenantId: entry.tenantId },
        'journal entry parked as dead: it keeps stopping the process',
      );
      return 'done';
    }
    const command = this.commandOf(entry.command);
    if (!command) {
      this.log.warn({ receipt: entry.receipt, command: entry.command }, 'journal entry waits: its module is not loaded');
      return 'blocked';
    }
    this.journal.startAttempt(entry.seq);
    try {
      // A write whose COMMIT answer was lost: its audit row says whether it was saved after all.
      if (entry.appliedIfAudit && (await this.circuit.execute(() => this.dispatcher.committed(entry.tenantId, entry.appliedIfAudit as string)))) {
        this.journal.finishAttempt(entry.seq, { status: 'duplicate' });
        return 'done';
      }
      // An author who lost the right to this write since sending it: parked, never applied.
      const forbidden = verdict(entry, command);
      if (forbidden) throw forbidden;
      const payload = upcastPayload(command, entry.payload, entry.commandVersion);
      // NB: an entry whose COMMIT answer was lost is applied with the audit row id of its first
      // attempt. If that COMMIT is still under way on the server (stalled, or its connection not
      // yet torn down), this attempt's audit INSERT waits for it on the primary key, and fails if
      // it commits: the write can never be applied twice, whichever transaction comes first.
      const meta = entry.appliedIfAudit ? { ...metaOf(entry), auditId: entry.appliedIfAudit } : metaOf(entry);
      const result = await this.circuit.execute(() => this.dispatcher.dispatch(command, payload, meta, { replay: true }));
      // NB: the database committed first; only then is the entry marked.
      this.journal.finishAttempt(entry.seq, appliedOutcome(result));
      return 'done';
    } catch (error) {
      // NB: a lost COMMIT answer is not a failure of the entry: its key, written in the same
      // transaction, tells the next round whether it was saved.
      if (isTransientError(error) || error instanceof BrokenCircuitError || error instanceof WriteOutcomeUnknownError) {
        this.journal.finishAttempt(entry.seq, pendingOutcome(error));
        return 'blocked';
      }
      // The first attempt's COMMIT went through while this one ran (its audit row, or a row of
      // its own, stopped this one): applied, not dead.
      if (entry.appliedIfAudit) {
        const applied = await this.circuit
          .execute(() => this.dispatcher.committed(entry.tenantId, entry.appliedIfAudit as string))
          .catch((checkError: unknown) => checkError);
        if (applied === true) {
          this.journal.finishAttempt(entry.seq, { status: 'duplicate' });
          return 'done';
        }
        if (applied !== false) {
          this.journal.finishAttempt(entry.seq, pendingOutcome(applied));
          return 'blocked';
        }
      }
      this.journal.finishAttempt(entry.seq, this.#parked(error, entry));
      return 'done';
    }
  }

  /**
   * Writes the outcomes of the committed batches to the journal, if not done yet. They stay
   * held if the write fails, for the next try.
   *
   * @throws the journal's error.
   */
  #markCommitted(): void {
    if (this.#unmarked.length === 0) return;
    this.journal.finishAttempts(this.#unmarked);
    this.#unmarked = [];
  }

  /** {@link #markCommitted} where a failure must not spread (during a database transaction, at the end of a round): logged; false if it failed. */
  #markQuietly(): boolean {
    try {
      this.#markCommitted();
      return true;
    } catch (error) {
      this.log.error({ err: error, held: this.#unmarked.length }, 'journal marks could not be written; kept for the next try');
      return false;
    }
  }

  /** The outcome that parks `entry` as dead with its problem, logged. */
  #parked(error: unknown, entry: JournalEntry): AttemptOutcome {
    const problem = isAppError(error)
      ? {
          status: error.status,
          code: error.code,
          detail: error.detail,
          // Kept as a text of the catalogues too, so the dead letter is read in its reader's language.
          ...(error.detailText ? { detailText: error.detailText } : {}),
          ...(error.errors ? { errors: error.errors } : {}),
          ...(error.extensions ?? {}),
        }
      : { status: 500, code: WriteError.REPLAY_FAILED, detail: error instanceof Error ? error.message : String(error) };
    this.log.error(
      { receipt: entry.receipt, command: entry.command, code: problem.code, tenantId: entry.tenantId },
      'journal entry parked as dead: it cannot be applied',
    );
    return { status: 'dead', statusCode: problem.status, response: problem, error: problem.detail, errorCode: errorCodeOf(error) ?? problem.code };
  }
}

function metaOf(entry: JournalEntry): BatchItem['meta'] {
  return { tenantId: entry.tenantId, userId: entry.userId, requestId: entry.requestId, idempotencyKey: entry.idempotencyKey, fingerprint: entry.fingerprint };
}

function appliedOutcome(result: DispatchResult): AttemptOutcome {
  return { status: result.replayed ? 'duplicate' : 'applied', statusCode: result.status, response: result.body };
}

/** A transient failure: the entry stays pending, with the error kept for the admin. */
function pendingOutcome(error: unknown): AttemptOutcome {
  const code = errorCodeOf(error);
  return { status: 'pending', error: error instanceof Error ? error.message : String(error), ...(code ? { errorCode: code } : {}) };
}
