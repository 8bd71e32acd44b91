import type { Database } from '../db/database.js';
import { errorCodeOf, isTransientError } from '../db/transient-errors.js';
import type { Logger } from '../log/create-logger.js';
import { isAppError } from '../shared/app-error.js';
import { sleep } from '../shared/sleep.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { Command } from './command.js';
import type { Dispatcher } from './dispatcher.js';
import type { Journal, JournalEntry } from './journal.js';

/** Entries read per round. */
export const REPLAY_BATCH_SIZE = 100;
/** An entry whose attempts started this many times without finishing (it kills the process) is parked. */
export const REPLAY_MAX_UNFINISHED_ATTEMPTS = 3;
/** First and longest wait after a transient failure, with jitter in between. */
export const REPLAY_RETRY_INITIAL_MS = 250;
export const REPLAY_RETRY_MAX_MS = 10_000;
/** How long the database probe before a round may take. */
export const REPLAY_PROBE_TIMEOUT_MS = 2_000;
/** How often an idle replayer looks at the journal even without an append (entries from before a restart). */
export const REPLAY_IDLE_POLL_MS = 1_000;

type Outcome = 'drained' | 'blocked';

/**
 * Applies the journal to the database, oldest first, one entry at a time, exactly once: each
 * runs through the dispatcher under the idempotency key it was journaled with, so an entry
 * already applied (the process died between the database's commit and the journal's mark) is
 * found as a duplicate instead of applied twice.
 *
 * A transient error stops the round and keeps the entry at the head (order is kept), then the
 * replayer backs off with jitter. A permanent one (a constraint, bad data, a key reused with
 * another body) parks the entry as `dead` with its problem, never dropped, and replay goes on.
 * There is one replayer per journal (one per process, each process having its own journal).
 */
export class Replayer {
  readonly #controller = new AbortController();
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly dispatcher: Dispatcher,
    private readonly db: Database,
    private readonly commandOf: (name: string) => Command<unknown, unknown> | undefined,
    private readonly log: Logger,
  ) {
    journal.onAppend(() => this.#wake?.());
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
  }

  async #loop(): Promise<void> {
    let delay = REPLAY_RETRY_INITIAL_MS;
    while (!this.#controller.signal.aborted) {
      if (!this.journal.hasPending()) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, REPLAY_IDLE_POLL_MS).unref();
        });
        continue;
      }
      const outcome = await this.drain().catch((error: unknown) => {
        this.log.error({ err: error }, 'journal replay failed unexpectedly; will retry');
        return 'blocked' as const;
      });
      if (outcome === 'drained') {
        delay = REPLAY_RETRY_INITIAL_MS;
        continue;
      }
      await sleep(delay / 2 + Math.random() * (delay / 2), this.#controller.signal);
      delay = Math.min(delay * 2, REPLAY_RETRY_MAX_MS);
    }
  }

  /**
   * Replays pending entries until none is left ('drained') or one cannot be applied now
   * ('blocked': the database is unreachable, or its module is not loaded).
   */
  async drain(): Promise<Outcome> {
    let applied = 0;
    const finish = (outcome: Outcome): Outcome => {
      this.journal.noteReplay({ at: new Date().toISOString(), applied, outcome });
      if (applied > 0) this.log.info({ applied, outcome, pending: this.journal.stats().pending }, 'journal replayed');
      return outcome;
    };
    try {
      await withTimeout(this.db.ping(), REPLAY_PROBE_TIMEOUT_MS, 'the database');
    } catch {
      return finish('blocked');
    }
    for (;;) {
      const batch = this.journal.pending(REPLAY_BATCH_SIZE);
      if (batch.length === 0) {
        this.journal.resyncPending();
        return finish('drained');
      }
      for (const entry of batch) {
        if (this.#controller.signal.aborted) return finish('blocked');
        const result = await this.#replay(entry);
        if (result === 'blocked') return finish('blocked');
        applied++;
      }
    }
  }

  async #replay(entry: JournalEntry): Promise<'done' | 'blocked'> {
    if (entry.attemptsStarted - entry.attemptsFinished >= REPLAY_MAX_UNFINISHED_ATTEMPTS) {
      this.journal.finishAttempt(entry.seq, { status: 'dead', error: `${entry.attemptsStarted - entry.attemptsFinished} attempts started and never finished (the process stopped during each)` });
      this.log.error({ receipt: entry.receipt, command: entry.command }, 'journal entry parked as dead: it keeps stopping the process');
      return 'done';
    }
    const command = this.commandOf(entry.command);
    if (!command) {
      this.log.warn({ receipt: entry.receipt, command: entry.command }, 'journal entry waits: its module is not loaded');
      return 'blocked';
    }
    this.journal.startAttempt(entry.seq);
    try {
      const result = await this.dispatcher.dispatch(
        command,
        entry.payload,
        { tenantId: entry.tenantId, userId: entry.userId, requestId: entry.requestId, idempotencyKey: entry.idempotencyKey, fingerprint: entry.fingerprint },
        { once: true },
      );
      // NB: the database committed first; only then is the entry marked.
      this.journal.finishAttempt(entry.seq, { status: result.replayed ? 'duplicate' : 'applied', statusCode: result.status, response: result.body });
      return 'done';
    } catch (error) {
      if (isTransientError(error)) {
        this.journal.finishAttempt(entry.seq, { status: 'pending', error: error instanceof Error ? error.message : String(error), ...(errorCodeOf(error) ? { errorCode: errorCodeOf(error) as string } : {}) });
        return 'blocked';
      }
      const problem = isAppError(error)
        ? { status: error.status, code: error.code, detail: error.detail, ...(error.errors ? { errors: error.errors } : {}) }
        : { status: 500, code: 'ERR_REPLAY_FAILED', detail: error instanceof Error ? error.message : String(error) };
      this.journal.finishAttempt(entry.seq, { status: 'dead', statusCode: problem.status, response: problem, error: problem.detail, errorCode: errorCodeOf(error) ?? problem.code });
      this.log.error({ receipt: entry.receipt, command: entry.command, code: problem.code }, 'journal entry parked as dead: it cannot be applied');
      return 'done';
    }
  }
}
