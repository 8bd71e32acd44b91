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
