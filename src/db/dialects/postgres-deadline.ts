import { DatabaseStalledError } from '../database-stalled.js';
import type { PostgresMonitor } from './postgres-monitor.js';

/**
 * The write deadline: how a transaction attempt tells a stalled server from a slow statement.
 *
 * An attempt is abandoned when the server has answered nothing, on any connection, for
 * `deadlineMs` while the attempt was running (waiting for a pooled connection, for a statement,
 * or for its COMMIT). A long write is never cut for being long: while it waits, any answer the
 * server gives another connection counts, and once half the deadline has passed in silence the
 * monitor pings the server on its own connection, so a server that is merely busy shows itself
 * alive and the attempt goes on (bounded then by the statement timeout). Only a server that
 * answers nothing at all, not even `SELECT 1`, is taken as stalled.
 *
 * The decision is taken after the event loop has read what already arrived (a `setImmediate`
 * after the timer), so an event loop that was busy for a while does not mistake answers it has
 * not read yet for silence.
 */
export class StallWatch {
  readonly #monitor: PostgresMonitor;
  readonly #deadlineMs: number;

  constructor(monitor: PostgresMonitor, deadlineMs: number) {
    this.#monitor = monitor;
    this.#deadlineMs = deadlineMs;
  }

  /** The deadline, in milliseconds of silence from the server. */
  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  /**
   * Settles like `attempt`, unless the server stalls first: then `abandon` is called (it must
   * make sure nothing more of the attempt reaches the server) and the promise rejects with a
   * {@link DatabaseStalledError}. What `attempt` does afterwards is ignored.
   */
  guard<T>(attempt: Promise<T>, abandon: () => void): Promise<T> {
    const started = performance.now();
    const half = this.#deadlineMs / 2;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        settled = true;
        clearTimeout(timer);
      };
      attempt.then(
        (value) => {
          if (settled) return;
          settle();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settle();
          reject(error);
        },
      );
      const quiet = () => performance.now() - Math.max(started, this.#monitor.lastAnswerAt);
      const check = () => {
        if (settled) return;
        const silence = quiet();
        if (silence < this.#deadlineMs) {
          // Half the deadline in silence: ask the server whether it is there at all.
          if (silence >= half) this.#monitor.ping().catch(() => undefined);
          timer = setTimeout(check, (silence < half ? half : this.#deadlineMs) - silence);
          return;
        }
        setImmediate(() => {
          if (settled) return;
          if (quiet() < this.#deadlineMs) return check();
          settle();
          abandon();
          reject(new DatabaseStalledError(`the database answered nothing for ${this.#deadlineMs} ms`));
        });
      };
      timer = setTimeout(check, half);
    });
  }
}
