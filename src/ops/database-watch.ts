import type { Database } from '../db/database.js';
import type { Logger } from '../log/create-logger.js';
import { sleep } from '../shared/sleep.js';
import { withTimeout } from '../shared/with-timeout.js';

/** First wait before probing an unreachable database again. */
export const DB_RETRY_INITIAL_DELAY_MS = 500;
/** Longest wait between two probes. */
export const DB_RETRY_MAX_DELAY_MS = 30_000;
/** A probe that takes longer than this counts as a failure. */
export const DB_PROBE_TIMEOUT_MS = 5_000;

/** A running watch; `stop()` ends it at the next wait. */
export interface DatabaseWatch {
  stop(): void;
  /** Probes again now instead of at the end of the current wait (something saw the database answer). */
  poke(): void;
  /** Resolves when the database answered and `onAvailable` reported completion, or on stop. */
  readonly done: Promise<void>;
}

/**
 * Probes the database until it answers, then runs `onAvailable` (the pending migrations); repeats
 * with exponential backoff while either fails, logging one line per attempt. This is what lets
 * robusto start while the database is down and become healthy, migrated, without a restart.
 *
 * @param onAvailable - resolves `true` when its work is complete, `false` to be called again.
 */
export function watchDatabase(db: Database, log: Logger, onAvailable: () => Promise<boolean>): DatabaseWatch {
  const controller = new AbortController();
  let waiting: AbortController | undefined;
  const done = (async () => {
    let delay = DB_RETRY_INITIAL_DELAY_MS;
    for (let attempt = 1; !controller.signal.aborted; attempt++) {
      try {
        const latencyMs = await withTimeout(db.ping(), DB_PROBE_TIMEOUT_MS, 'the database');
        if (await onAvailable()) {
          if (attempt > 1) log.info({ engine: db.engine, attempt, latencyMs: Math.round(latencyMs) }, 'database reachable again; migrations applied');
          return;
        }
      } catch (error) {
        log.warn({ engine: db.engine, attempt, retryInMs: delay, err: error }, 'database unreachable; will retry');
      }
      waiting = new AbortController();
      await sleep(delay, AbortSignal.any([controller.signal, waiting.signal]));
      delay = Math.min(delay * 2, DB_RETRY_MAX_DELAY_MS);
    }
  })();
  return { stop: () => controller.abort(), poke: () => waiting?.abort(), done };
}
