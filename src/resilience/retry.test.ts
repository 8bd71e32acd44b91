import { describe, expect, it } from 'vitest';
import { createRetryPolicy } from './retry.js';

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
