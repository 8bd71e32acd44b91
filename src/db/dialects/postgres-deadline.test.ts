// Proves StallWatch's write deadline on a fake clock: an attempt settles as it would without the
// watch unless the server answers nothing for the whole deadline, the monitor is pinged once half
// of it has passed in silence, any answer pushes the deadline back, and the decision is taken only
// after the event loop has read what already arrived. setImmediate stays real (the fake one would
// run it a millisecond later), so each step of the fake clock ends with a turn of the real loop.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatabaseStalledError } from '../database-stalled.js';
import { StallWatch } from './postgres-deadline.js';
import type { PostgresMonitor } from './postgres-monitor.js';

const DEADLINE_MS = 1_000;
const { setImmediate: realSetImmediate } = globalThis;

interface FakeMonitor {
  lastAnswerAt: number;
  ping: ReturnType<typeof vi.fn<() => Promise<number>>>;
}

interface Outcome<T> {
  status: 'pending' | 'resolved' | 'rejected';
  value?: T;
  error?: unknown;
}

/** Lets every promise callback already due run, on the real event loop. */
const flush = () => new Promise<void>((resolve) => realSetImmediate(resolve));

/** Records how `promise` settles, so a test can see it still pending. */
function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { status: 'pending' };
  promise.then(
    (value) => {
      outcome.status = 'resolved';
      outcome.value = value;
    },
    (error: unknown) => {
      outcome.status = 'rejected';
      outcome.error = error;
    },
  );
  return outcome;
}

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('StallWatch', () => {
  let monitor: FakeMonitor;
  let watch: StallWatch;
  let abandon: ReturnType<typeof vi.fn<() => void>>;

  /** Advances the fake clock by `ms`, running the timers due, then the re-checks they queued and promise callbacks. */
  const advance = async (ms: number) => {
    vi.advanceTimersByTime(ms);
    await flush();
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    vi.advanceTimersByTime(10_000);
    monitor = { lastAnswerAt: -Infinity, ping: vi.fn(() => Promise.resolve(1)) };
    watch = new StallWatch(monitor as unknown as PostgresMonitor, DEADLINE_MS);
    abandon = vi.fn<() => void>();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports the deadline it was given', () => {
    expect(new StallWatch(monitor as unknown as PostgresMonitor, 1_234).deadlineMs).toBe(1_234);
    expect(watch.deadlineMs).toBe(DEADLINE_MS);
  });

  it('runs on a clock the fake timers drive', async () => {
    const before = performance.now();
    await advance(250);
    expect(performance.now() - before).toBe(250);
  });

  it('resolves with the value of an attempt that succeeds before the deadline, never abandoning it and leaving no timer', async () => {
    const attempt = deferred<string>();
    const outcome = track(watch.guard(attempt.promise, abandon));
    await advance(300);
    expect(outcome.status).toBe('pending');
    attempt.resolve('written');
    await flush();
    expect(outcome).toEqual({ status: 'resolved', value: 'written' });
    expect(vi.getTimerCount()).toBe(0);
    await advance(5 * DEADLINE_MS);
    expect(abandon).not.toHaveBeenCalled();
    expect(monitor.ping).not.toHaveBeenCalled();
  });

  it('rejects with the very error of an attempt that fails before the deadline, never abandoning it and leaving no timer', async () => {
    const attempt = deferred<string>();
    const outcome = track(watch.guard(attempt.promise, abandon));
    await advance(700);
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    const failure = new Error('unique violation');
    attempt.reject(failure);
    await flush();
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
    await advance(5 * DEADLINE_MS);
    expect(abandon).not.toHaveBeenCalled();
    expect(monitor.ping).toHaveBeenCalledTimes(1);
  });

  it('abandons an attempt once, exactly when the server has been silent for the whole deadline, and rejects with DatabaseStalledError naming it', async () => {
    const outcome = track(watch.guard(deferred<string>().promise, abandon));
    await advance(DEADLINE_MS - 1);
    expect(abandon).not.toHaveBeenCalled();
    expect(outcome.status).toBe('pending');
    await advance(1);
    expect(abandon).toHaveBeenCalledTimes(1);
    expect(outcome.status).toBe('rejected');
    expect(outcome.error).toBeInstanceOf(DatabaseStalledError);
    expect((outcome.error as Error).message).toBe('the database answered nothing for 1000 ms');
    expect(vi.getTimerCount()).toBe(0);
    await advance(5 * DEADLINE_MS);
    expect(abandon).toHaveBeenCalledTimes(1);
    expect(monitor.ping).toHaveBeenCalledTimes(1);
  });

  it('names its own deadline in the error', async () => {
    const outcome = track(new StallWatch(monitor as unknown as PostgresMonitor, 300).guard(deferred<string>().promise, abandon));
    await advance(299);
    expect(outcome.status).toBe('pending');
    await advance(1);
    expect(outcome.status).toBe('rejected');
    expect((outcome.error as Error).message).toBe('the database answered nothing for 300 ms');
  });

  it('pings the monitor once when half the deadline has passed in silence, not before', async () => {
    track(watch.guard(deferred<string>().promise, abandon));
    await advance(DEADLINE_MS / 2 - 1);
    expect(monitor.ping).not.toHaveBeenCalled();
    await advance(1);
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    await advance(DEADLINE_MS / 2 - 1);
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    expect(abandon).not.toHaveBeenCalled();
  });

  it('keeps an attempt going for as long as the server answers the pings', async () => {
    monitor.ping.mockImplementation(() => {
      monitor.lastAnswerAt = performance.now();
      return Promise.resolve(1);
    });
    const attempt = deferred<string>();
    const outcome = track(watch.guard(attempt.promise, abandon));
    await advance(3 * DEADLINE_MS);
    expect(outcome.status).toBe('pending');
    expect(abandon).not.toHaveBeenCalled();
    // one ping each half deadline: at 500, 1000, ..., 3000
    expect(monitor.ping).toHaveBeenCalledTimes(6);
    attempt.resolve('long write');
    await flush();
    expect(outcome).toEqual({ status: 'resolved', value: 'long write' });
  });

  it('counts an answer on any connection during the wait, abandoning only after a whole deadline of silence since it', async () => {
    const start = performance.now();
    const outcome = track(watch.guard(deferred<string>().promise, abandon));
    await advance(700);
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    monitor.lastAnswerAt = start + 700;
    await advance(300);
    // 300 ms of silence at the original deadline: not even half of it, so no ping either
    expect(abandon).not.toHaveBeenCalled();
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    await advance(199);
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    await advance(1);
    expect(monitor.ping).toHaveBeenCalledTimes(2);
    await advance(499);
    expect(abandon).not.toHaveBeenCalled();
    expect(outcome.status).toBe('pending');
    await advance(1);
    expect(abandon).toHaveBeenCalledTimes(1);
    expect(outcome.status).toBe('rejected');
    expect(monitor.ping).toHaveBeenCalledTimes(2);
  });

  it('counts silence from the start of the attempt when the last answer is older', async () => {
    monitor.lastAnswerAt = performance.now() - 400;
    const outcome = track(watch.guard(deferred<string>().promise, abandon));
    await advance(DEADLINE_MS / 2 - 1);
    expect(monitor.ping).not.toHaveBeenCalled();
    await advance(DEADLINE_MS / 2);
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    expect(abandon).not.toHaveBeenCalled();
    expect(outcome.status).toBe('pending');
    await advance(1);
    expect(abandon).toHaveBeenCalledTimes(1);
  });

  it('does not abandon an attempt when an answer arrives between the deadline timer and the re-check after it', async () => {
    const outcome = track(watch.guard(deferred<string>().promise, abandon));
    await advance(DEADLINE_MS - 1);
    // the deadline timer fires; the decision waits for a setImmediate
    vi.advanceTimersByTime(1);
    expect(vi.getTimerCount()).toBe(0);
    monitor.lastAnswerAt = performance.now();
    await flush();
    expect(abandon).not.toHaveBeenCalled();
    expect(outcome.status).toBe('pending');
    expect(monitor.ping).toHaveBeenCalledTimes(1);
    // a fresh deadline of silence since that answer
    await advance(DEADLINE_MS / 2);
    expect(monitor.ping).toHaveBeenCalledTimes(2);
    await advance(DEADLINE_MS / 2 - 1);
    expect(abandon).not.toHaveBeenCalled();
    await advance(1);
    expect(abandon).toHaveBeenCalledTimes(1);
    expect(outcome.status).toBe('rejected');
  });

  it('settles with the attempt when it succeeds between the deadline timer and the re-check after it', async () => {
    const attempt = deferred<string>();
    const outcome = track(watch.guard(attempt.promise, abandon));
    await advance(DEADLINE_MS - 1);
    vi.advanceTimersByTime(1);
    attempt.resolve('just in time');
    await flush();
    expect(abandon).not.toHaveBeenCalled();
    expect(outcome).toEqual({ status: 'resolved', value: 'just in time' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores what an abandoned attempt does afterwards', async () => {
    const succeeding = deferred<string>();
    const failing = deferred<string>();
    const a = track(watch.guard(succeeding.promise, abandon));
    const b = track(watch.guard(failing.promise, abandon));
    await advance(DEADLINE_MS);
    expect(abandon).toHaveBeenCalledTimes(2);
    succeeding.resolve('too late');
    failing.reject(new Error('too late'));
    await flush();
    expect(a.status).toBe('rejected');
    expect(a.error).toBeInstanceOf(DatabaseStalledError);
    expect(b.status).toBe('rejected');
    expect(b.error).toBeInstanceOf(DatabaseStalledError);
    expect(abandon).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('swallows a failed ping: no unhandled rejection, and the attempt is still abandoned at the deadline', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // a plain function: a vi.fn would handle the rejection itself, to record how it settled
      let pings = 0;
      const failing = {
        lastAnswerAt: -Infinity,
        ping: () => {
          pings++;
          return Promise.reject(new Error('connection refused'));
        },
      };
      const outcome = track(new StallWatch(failing as unknown as PostgresMonitor, DEADLINE_MS).guard(deferred<string>().promise, abandon));
      await advance(DEADLINE_MS / 2);
      expect(pings).toBe(1);
      await flush();
      await flush();
      expect(unhandled).toEqual([]);
      expect(outcome.status).toBe('pending');
      await advance(DEADLINE_MS / 2);
      expect(outcome.status).toBe('rejected');
      expect(outcome.error).toBeInstanceOf(DatabaseStalledError);
      expect(abandon).toHaveBeenCalledTimes(1);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
