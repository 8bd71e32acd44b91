import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../shared/sleep.js';
import { bindJob, type JobDefinition } from './job.js';
import { FAILURES_TO_ALERT, JobCancelledError, JobRunner, type JobAlerts } from './job-runner.js';
import { countingJob } from '../../test/support/counting-job.js';
import { MemoryJobStore, type JobStore } from './job-store.js';

const runners: JobRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop(100);
});

/** Alerts recorded instead of sent. */
function recordingAlerts(): JobAlerts & { events: Array<{ status: 'firing' | 'resolved'; subject: string }> } {
  const events: Array<{ status: 'firing' | 'resolved'; subject: string }> = [];
  return {
    events,
    raise: (_kind, _summary, _details, { subject }) => events.push({ status: 'firing', subject }),
    resolve: (_kind, _summary, _details, { subject }) => events.push({ status: 'resolved', subject }),
  };
}

function runnerOf(definitions: JobDefinition<void>[], options: { store?: JobStore; alerts?: JobAlerts; ready?: () => boolean } = {}): JobRunner {
  const runner = new JobRunner(
    definitions.map((d) => bindJob<void>('test', d, undefined, options.ready)),
    { cluster: options.store ?? new MemoryJobStore(), log: pino({ level: 'silent' }), alerts: options.alerts ?? recordingAlerts() },
  );
  runners.push(runner);
  return runner;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const FAST_RETRY = { firstDelayMs: 5, maxDelayMs: 20 };
// A slot far away: only the catch-up run at start and the retries happen during a test.
const RARELY = { everyMs: 3_600_000 };

describe('JobRunner', () => {
  it('retries a failing job with backoff, alerts once on the 5th failure in a row, and resolves on the success that ends it', async () => {
    const alerts = recordingAlerts();
    let calls = 0;
    const at: number[] = [];
    const runner = runnerOf(
      [
        {
          name: 'flaky',
          schedule: RARELY,
          retry: FAST_RETRY,
          run: async () => {
            at.push(Date.now());
            calls += 1;
            if (calls <= FAILURES_TO_ALERT + 2) throw new Error(`boom ${calls}`);
            return { done: true };
          },
        },
      ],
      { alerts },
    );
    runner.start();
    await until(async () => (await runner.states())[0]?.lastSuccessAt !== null);
    expect(calls).toBe(FAILURES_TO_ALERT + 3);
    expect(alerts.events).toEqual([
      { status: 'firing', subject: 'test.flaky' },
      { status: 'resolved', subject: 'test.flaky' },
    ]);
    // The waits between tries grow (5, 10, 20, 20… ms), never below the backoff.
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(4);
    expect(gaps[2]).toBeGreaterThanOrEqual(19);
    const [state] = await runner.states();
    expect(state).toMatchObject({
      name: 'test.flaky',
      consecutiveFailures: 0,
      lastError: null,
      runs: FAILURES_TO_ALERT + 3,
      failures: FAILURES_TO_ALERT + 2,
      running: false,
    });
    expect(Date.parse(state?.nextRunAt ?? '')).toBeGreaterThan(Date.now());
    expect(runner.counters()).toEqual([
      { name: 'test.flaky', runs: FAILURES_TO_ALERT + 3, failures: FAILURES_TO_ALERT + 2, lastSuccessAt: expect.any(Number) },
    ]);
  });

  it('aborts a run at its timeout through its signal and counts it as failed', async () => {
    let signal: AbortSignal | undefined;
    const runner = runnerOf([
      { name: 'slow', schedule: RARELY, timeoutMs: 50, retry: { firstDelayMs: 60_000 }, run: (_ctx, s) => ((signal = s), new Promise(() => undefined)) },
    ]);
    runner.start();
    await until(async () => (await runner.states())[0]?.consecutiveFailures === 1);
    expect(signal?.aborted).toBe(true);
    expect((await runner.states())[0]?.lastError).toMatch(/timeout of 50 ms/);
  });

  it('at shutdown aborts a running job, waits for it, and hands its slot back for the next start', async () => {
    const store = new MemoryJobStore();
    let signal: AbortSignal | undefined;
    let finished = false;
    const long: JobDefinition<void> = {
      name: 'long',
      schedule: RARELY,
      run: async (_ctx, s) => {
        signal = s;
        await new Promise((resolve) => s.addEventListener('abort', resolve));
        await sleep(20);
        finished = true;
      },
    };
    const first = runnerOf([long], { store });
    first.start();
    await until(() => signal !== undefined);
    await first.stop(1_000);
    expect(signal?.reason).toBeInstanceOf(JobCancelledError);
    expect(finished).toBe(true);
    expect((await store.read(['test.long']))[0]).toMatchObject({ runs: 0, running: false });

    let ranAgain = false;
    const second = runnerOf([{ ...long, run: async () => void (ranAgain = true) }], { store });
    second.start();
    await until(() => ranAgain);
  });

  it('runs each slot once across runners sharing a store, never two runs at a time', async () => {
    const store = new MemoryJobStore();
    const shared = countingJob(50, 10);
    const started = Date.now();
    for (let i = 0; i < 3; i++) runnerOf([shared.job], { store }).start();
    await sleep(500);
    const slots = Math.floor((Date.now() - started) / 50) + 1;
    expect(shared.overlapped()).toBe(false);
    expect(shared.runs()).toBeGreaterThanOrEqual(3);
    expect(shared.runs()).toBeLessThanOrEqual(slots + 1);
  });

  it('lets slots pass while the job is not ready (its module waits for the database)', async () => {
    let ready = false;
    let runs = 0;
    const runner = runnerOf([{ name: 'gated', schedule: { everyMs: 20 }, run: async () => void (runs += 1) }], { ready: () => ready });
    runner.start();
    await sleep(100);
    expect(runs).toBe(0);
    ready = true;
    await until(() => runs > 0);
  });

  it('a wall clock set back a day after a run made with it ahead: the jump is noticed, the slot due now runs, and /health is told while the last run lies in the future', async () => {
    const day = 86_400_000;
    const realToday = Date.parse('2026-12-02T02:31:00Z');
    let wall = realToday + day; // a day ahead
    const clock = { wall: () => wall, monotonic: () => performance.now() };
    let runs = 0;
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const runner = new JobRunner(
      [bindJob<void>('test', { name: 'nightly', schedule: { cron: '30 2 * * *' }, scope: 'process', run: async () => void runs++ }, undefined)],
      {
        cluster: new MemoryJobStore(),
        log,
        alerts: recordingAlerts(),
        clock,
        clockCheckMs: 20,
      },
    );
    runners.push(runner);
    runner.start();
    await until(() => runs === 1);
    wall = realToday; // corrected by NTP
    expect((await runner.states())[0]?.timing).toMatch(/in the future: the system clock went back/);
    await until(() => runs === 2);
    expect(lines.some((l) => l.msg === 'the system clock jumped; jobs are scheduled again from the new time')).toBe(true);
    expect(lines.some((l) => l.msg === 'job store holds instants ahead of the clock: the clock went back; the slot due now is run')).toBe(true);
    expect((await runner.states())[0]).toMatchObject({ timing: null, lastRunAt: new Date(realToday).toISOString() });
  });

  it('a job that has not run for longer than its period plus the margin is reported late', async () => {
    let wall = Date.parse('2026-12-02T02:31:00Z');
    const runner = new JobRunner(
      [bindJob<void>('test', { name: 'nightly', schedule: { cron: '30 2 * * *' }, scope: 'process', run: async () => undefined }, undefined)],
      {
        cluster: new MemoryJobStore(),
        log: pino({ level: 'silent' }),
        alerts: recordingAlerts(),
        clock: { wall: () => wall, monotonic: () => performance.now() },
      },
    );
    runners.push(runner);
    runner.start();
    await until(async () => (await runner.states())[0]?.lastRunAt !== null);
    expect((await runner.states())[0]?.timing).toBeNull();
    wall += 86_400_000 + 20 * 60_000;
    expect((await runner.states())[0]?.timing).toMatch(/has not run since 2026-12-02T02:31:00.000Z, longer than its period \(1440 min\)/);
  });
});
