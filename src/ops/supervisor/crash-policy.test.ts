import { describe, expect, it } from 'vitest';
import { CRASH_LOOP_WINDOW_MS, CrashPolicy, crashesInARow, HEALTHY_UPTIME_MS, RESTART_MAX_MS, restartDelayMs } from './crash-policy.js';

/** The delays the supervisor waits after each death of a worker that stayed up `uptimesMs[i]`. */
function delaysFor(uptimesMs: number[]): number[] {
  let inARow = 0;
  return uptimesMs.map((uptime) => restartDelayMs((inARow = crashesInARow(inARow, uptime))));
}

describe('the backoff between worker restarts', () => {
  it('doubles from 100 ms with each crash in a row, strictly, up to 15 s, then stays there', () => {
    const delays = delaysFor(Array.from({ length: 12 }, () => 50));
    expect(delays).toEqual([100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 15_000, 15_000, 15_000, 15_000]);
    // strictly growing until the cap, never above it
    const growing = delays.slice(0, delays.indexOf(RESTART_MAX_MS) + 1);
    for (let i = 1; i < growing.length; i++) expect(growing[i]).toBeGreaterThan(growing[i - 1] as number);
    expect(Math.max(...Array.from({ length: 40 }, (_, i) => restartDelayMs(i + 1)))).toBe(RESTART_MAX_MS);
    expect(restartDelayMs(1_000)).toBe(RESTART_MAX_MS);
  });

  it('starts again at 100 ms after a worker that stayed up 30 s; a shorter uptime keeps the count', () => {
    expect(HEALTHY_UPTIME_MS).toBe(30_000);
    expect(delaysFor([10, 10, 10, HEALTHY_UPTIME_MS, 10, 10])).toEqual([100, 200, 400, 100, 200, 400]);
    expect(delaysFor([10, 10, 10, HEALTHY_UPTIME_MS - 1])).toEqual([100, 200, 400, 800]);
    // at the cap too
    expect(delaysFor([...Array.from({ length: 10 }, () => 10), 60_000, 10])).toEqual([
      100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 15_000, 15_000, 100, 200,
    ]);
  });
});

describe('CrashPolicy', () => {
  it('waits longer with each crash in a row, and calls five within a minute a loop', () => {
    const policy = new CrashPolicy();
    const verdicts = [0, 1_000, 2_000, 3_000, 4_000].map((at) => policy.crashed(at, 500));
    expect(verdicts.map((v) => v.delayMs)).toEqual([100, 200, 400, 800, 1_600]);
    expect(verdicts.map((v) => v.loop)).toEqual([false, false, false, false, true]);
  });

  it('forgets crashes older than the window, and starts again after a worker stayed up', () => {
    const policy = new CrashPolicy();
    for (const at of [0, 1_000, 2_000, 3_000]) policy.crashed(at, 500);
    const late = policy.crashed(CRASH_LOOP_WINDOW_MS + 1_500, 500);
    expect(late).toMatchObject({ recent: 3, loop: false, inARow: 5 });
    expect(policy.crashed(CRASH_LOOP_WINDOW_MS + 2_000, HEALTHY_UPTIME_MS)).toMatchObject({ inARow: 1, delayMs: 100, recent: 4 });
  });
});
