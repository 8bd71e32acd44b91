import { describe, expect, it, vi } from 'vitest';
import { DatabaseStalledError } from '../db/database-stalled.js';
import { createRetryPolicy, RETRY_INITIAL_DELAY_MS, RETRY_MAX_DELAY_MS, RETRY_MAX_RETRIES, withRetry } from './retry.js';

function failing(codes: string[]): { work: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    work: async () => {
      const code = codes[calls++];
      if (code) throw Object.assign(new Error(code), { code });
      return 'done';
    },
    calls: () => calls,
  };
}

describe('createRetryPolicy', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };

  it('retries transient errors until the work succeeds', async () => {
    const { work, calls } = failing(['ECONNRESET', 'SQLITE_BUSY', '40P01']);
    await expect(createRetryPolicy(fast).execute(work)).resolves.toBe('done');
    expect(calls()).toBe(4);
  });

  it('does not retry a permanent error', async () => {
    const { work, calls } = failing(['23505']);
    await expect(createRetryPolicy(fast).execute(work)).rejects.toMatchObject({ code: '23505' });
    expect(calls()).toBe(1);
  });

  it('gives up after maxRetries and rethrows the last transient error', async () => {
    const { work, calls } = failing(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    await expect(createRetryPolicy({ ...fast, maxRetries: 2 }).execute(work)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(calls()).toBe(3);
  });
});

describe('retry defaults', () => {
  it('never retries a stalled database, transient as it is', async () => {
    let calls = 0;
    const stalled = new DatabaseStalledError('no answer');
    await expect(
      createRetryPolicy({ initialDelayMs: 1, maxDelayMs: 2 }).execute(async () => {
        calls++;
        throw stalled;
      }),
    ).rejects.toBe(stalled);
    expect(calls).toBe(1);
  });

  it('retries RETRY_MAX_RETRIES times unless told otherwise', async () => {
    const { work, calls } = failing(Array.from({ length: 20 }, () => 'SQLITE_BUSY'));
    await expect(createRetryPolicy({ initialDelayMs: 1, maxDelayMs: 2 }).execute(work)).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(calls()).toBe(RETRY_MAX_RETRIES + 1);
  });

  it('withRetry retries transient errors with the default policy', async () => {
    const { work, calls } = failing(['ECONNRESET']);
    await expect(withRetry(work)).resolves.toBe('done');
    expect(calls()).toBe(2);
  });

  it('waits between attempts, never more than RETRY_MAX_DELAY_MS', async () => {
    vi.useFakeTimers();
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const { work, calls } = failing(Array.from({ length: RETRY_MAX_RETRIES }, () => 'ECONNRESET'));
      const done = createRetryPolicy().execute(work);
      await vi.advanceTimersByTimeAsync(0);
      expect(calls()).toBe(1);
      // Each wait is at most RETRY_MAX_DELAY_MS: every retry has run after that much per retry.
      for (let retry = 1; retry <= RETRY_MAX_RETRIES; retry++) await vi.advanceTimersByTimeAsync(RETRY_MAX_DELAY_MS);
      await expect(done).resolves.toBe('done');
      expect(calls()).toBe(RETRY_MAX_RETRIES + 1);
    } finally {
      random.mockRestore();
      vi.useRealTimers();
    }
  });

  it('waits about RETRY_INITIAL_DELAY_MS before the first retry', async () => {
    vi.useFakeTimers();
    // The jitter's random draw fixed at its middle: the first wait is then 0.9 × the initial delay.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      const { work, calls } = failing(['ECONNRESET']);
      const done = createRetryPolicy().execute(work);
      await vi.advanceTimersByTimeAsync(RETRY_INITIAL_DELAY_MS * 0.8);
      expect(calls()).toBe(1);
      await vi.advanceTimersByTimeAsync(RETRY_INITIAL_DELAY_MS * 0.2);
      await expect(done).resolves.toBe('done');
      expect(calls()).toBe(2);
    } finally {
      random.mockRestore();
      vi.useRealTimers();
    }
  });
});
