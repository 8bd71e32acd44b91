/** First wait before replacing a worker that died; it doubles with each crash in a row. */
export const RESTART_INITIAL_MS = 100;
/** Longest wait before replacing a worker: restarts never stop, they slow down to this. */
export const RESTART_MAX_MS = 15_000;
/** A worker that stayed up this long resets the backoff: its death is not part of a loop. */
export const HEALTHY_UPTIME_MS = 30_000;

/**
 * The supervisor's count of crashes in a row once a worker that stayed up `uptimeMs` died:
 * one more, or 1 again if it had stayed up {@link HEALTHY_UPTIME_MS} (its death is not part of a loop).
 */
export function crashesInARow(previous: number, uptimeMs: number): number {
  return (uptimeMs >= HEALTHY_UPTIME_MS ? 0 : previous) + 1;
}

/** How long to wait before replacing a worker after `consecutiveCrashes` crashes in a row (≥ 1): 100 ms, doubling, at most 15 s. */
export function restartDelayMs(consecutiveCrashes: number): number {
  return Math.min(RESTART_INITIAL_MS * 2 ** (consecutiveCrashes - 1), RESTART_MAX_MS);
}

/** This many crashes within {@link CRASH_LOOP_WINDOW_MS} is a crash loop: logged as critical and alerted. */
export const CRASH_LOOP_CRASHES = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;

/** What the supervisor does about one crash. */
export interface CrashVerdict {
  /** How long to wait before a new worker (or standby) replaces it. */
  delayMs: number;
  /** Crashes in a row, this one included (reset by a worker that stayed up). */
  inARow: number;
  /** Crashes within the last {@link CRASH_LOOP_WINDOW_MS}, this one included. */
  recent: number;
  /** Whether that many make a crash loop. */
  loop: boolean;
}

/** Remembers the crashes of a supervisor's workers and says, for each, how long to wait and whether it is a loop. */
export class CrashPolicy {
  #inARow = 0;
  #times: number[] = [];

  /** Records a crash at `now` of a worker that had stayed up `uptimeMs`. */
  crashed(now: number, uptimeMs: number): CrashVerdict {
    this.#inARow = crashesInARow(this.#inARow, uptimeMs);
    this.#times = [...this.#times.filter((at) => at >= now - CRASH_LOOP_WINDOW_MS), now];
    return { delayMs: restartDelayMs(this.#inARow), inARow: this.#inARow, recent: this.#times.length, loop: this.#times.length >= CRASH_LOOP_CRASHES };
  }
}
