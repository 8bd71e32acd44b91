import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, ConstantBackoff, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { Database } from '../db/database.js';
import { isTransientError } from '../db/transient-errors.js';
import type { Logger } from '../log/create-logger.js';
import { withTimeout } from '../shared/with-timeout.js';
import { WriteOutcomeUnknownError } from './dispatcher.js';

/** Consecutive transient failures (each already retried by the dispatcher) that open the circuit. */
export const CIRCUIT_OPEN_AFTER_FAILURES = 3;
/**
 * The wait, while open, before a probe may try the database again: short, because the sooner
 * the database is found back, the sooner writes go straight to it and the journal drains; a
 * probe is one connection attempt and `SELECT 1`, and never two run at once.
 */
export const CIRCUIT_HALF_OPEN_MS = 250;
/** How often an open circuit looks whether a probe is due. */
export const CIRCUIT_PROBE_INTERVAL_MS = 100;
/** How long a probe (`SELECT 1`) may take before it counts as a failure. */
export const CIRCUIT_PROBE_TIMEOUT_MS = 2_000;

/** While the circuit stays open, how often the log is reminded of it. */
export const CIRCUIT_REMINDER_MS = 60_000;

/** The circuit's state as the admin and health show it. */
export type CircuitStatus = 'closed' | 'open' | 'half-open';

/** A probe that failed, whatever the reason (no answer in time, refused, an error): the circuit stays open. */
class ProbeFailed extends Error {
  override readonly name = 'ProbeFailed';
}

/**
 * A circuit breaker on the main database (cockatiel): after a few consecutive transient failures
 * it opens, so writes go straight to the journal and reads answer 503 at once instead of each
 * waiting for a connection timeout. While open, a probe (`SELECT 1`) runs when the half-open
 * delay has passed (every 250 ms); its success closes the circuit.
 *
 * Work runs through {@link DatabaseCircuit.execute} only while the circuit is closed: callers
 * check {@link DatabaseCircuit.closed} first and take their outage path otherwise, so no request
 * ever waits on a half-open probe.
 */
export class DatabaseCircuit {
  readonly #policy: CircuitBreakerPolicy;
  readonly #db: Database;
  #probe: NodeJS.Timeout | undefined;
  #probing = false;
  #openedAt: string | undefined;

  constructor(db: Database, log: Logger) {
    this.#db = db;
    // NB: a COMMIT whose answer was lost counts too: the connection failed (or the database
    // stalled) just as much as in any other statement.
    this.#policy = circuitBreaker(
      handleWhen((error) => isTransientError(error) || error instanceof ProbeFailed || error instanceof WriteOutcomeUnknownError),
      {
        halfOpenAfter: new ConstantBackoff(CIRCUIT_HALF_OPEN_MS),
        breaker: new ConsecutiveBreaker(CIRCUIT_OPEN_AFTER_FAILURES),
      },
    );
    // NB: every failed probe opens the circuit again (half-open → open): only the first opening
    // is logged, then a reminder at most every CIRCUIT_REMINDER_MS, not 4 lines a second.
    let failedProbes = 0;
    let remindedAt = 0;
    this.#policy.onBreak(() => {
      if (this.#openedAt === undefined) {
        this.#openedAt = new Date().toISOString();
        remindedAt = Date.now();
        failedProbes = 0;
        log.warn({ failures: CIRCUIT_OPEN_AFTER_FAILURES }, 'database circuit opened: writes go to the journal, reads answer 503');
      } else {
        failedProbes++;
        if (Date.now() - remindedAt >= CIRCUIT_REMINDER_MS) {
          remindedAt = Date.now();
          log.warn({ openedAt: this.#openedAt, failedProbes }, 'database circuit still open: the database does not answer');
        }
      }
      this.#startProbing();
    });
    this.#policy.onReset(() => {
      log.info({ openedAt: this.#openedAt, failedProbes }, 'database circuit closed: the database answers again');
      this.#openedAt = undefined;
      this.#stopProbing();
    });
  }

  /** True while the database is taken to answer: work may run through {@link execute}. */
  get closed(): boolean {
    return this.#policy.state === CircuitState.Closed;
  }

  /** `closed`, `open` or `half-open` (a probe is running). */
  get status(): CircuitStatus {
    const state = this.#policy.state;
    return state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  /** When the circuit last opened, while it is not closed. */
  get openedAt(): string | undefined {
    return this.#openedAt;
  }

  /**
   * Runs `work`, counting a transient failure toward opening the circuit and a success as a
   * reset. Throws `BrokenCircuitError` if the circuit opened in the meantime.
   */
  execute<T>(work: () => Promise<T>): Promise<T> {
    return this.#policy.execute(work);
  }

  /** Calls `listener` each time the circuit closes again (the replayer starts draining at once). */
  onClose(listener: () => void): void {
    this.#policy.onReset(listener);
  }

  /** Counts a transient failure seen outside {@link execute} (a read that failed). */
  recordFailure(error: unknown): void {
    if (!this.closed || !isTransientError(error)) return;
    this.#policy.execute(() => Promise.reject(error)).catch(() => undefined);
  }

  /**
   * Tries the database through the circuit: true when it answered (which closes an open
   * circuit), false when it did not or the circuit is still waiting before its next probe.
   */
  async probe(): Promise<boolean> {
    try {
      await this.#policy.execute(() =>
        withTimeout(this.#db.ping(), CIRCUIT_PROBE_TIMEOUT_MS, 'the database').catch((error: unknown) => {
          throw new ProbeFailed(error instanceof Error ? error.message : String(error), { cause: error });
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof ProbeFailed) return false;
      throw error;
    }
  }

  /** Stops the background probes (shutdown). */
  stop(): void {
    this.#stopProbing();
  }

  #startProbing(): void {
    this.#probe ??= setInterval(() => {
      if (this.#probing) return;
      this.#probing = true;
      void this.probe()
        .catch(() => false)
        .finally(() => {
          this.#probing = false;
        });
    }, CIRCUIT_PROBE_INTERVAL_MS);
    this.#probe.unref();
  }

  #stopProbing(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }
}
