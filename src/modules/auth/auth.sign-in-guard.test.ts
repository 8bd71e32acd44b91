import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/app-error.js';
import { FAILURE_MEMORY_MS, FREE_FAILURES, MAX_FAILURE_DELAY_SECONDS, MAX_REMEMBERED_ACCOUNTS, SignInGuard } from './auth.sign-in-guard.js';

describe('SignInGuard', () => {
  it('after the free failures each try waits 1 s, 2, 4… never more than the cap; failures are forgotten after a quiet period', () => {
    let now = 1_000_000;
    const guard = new SignInGuard({ now: () => now });
    for (let i = 0; i < FREE_FAILURES; i++) {
      expect(guard.waitSeconds('a')).toBe(0);
      guard.failed('a');
    }
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const wait = guard.waitSeconds('a');
      waits.push(wait);
      expect(() => guard.admit('a')).toThrow(AppError);
      now += wait * 1000;
      expect(guard.waitSeconds('a')).toBe(0);
      guard.failed('a');
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, MAX_FAILURE_DELAY_SECONDS, MAX_FAILURE_DELAY_SECONDS, MAX_FAILURE_DELAY_SECONDS]);
    expect(guard.waitSeconds('b')).toBe(0);
    now += FAILURE_MEMORY_MS + 1;
    expect(guard.waitSeconds('a')).toBe(0);
    guard.failed('a');
    expect(guard.waitSeconds('a')).toBe(0);
  });

  it('remembers a bounded number of accounts, forgetting the oldest first', () => {
    const guard = new SignInGuard();
    for (let i = 0; i < FREE_FAILURES; i++) guard.failed('first');
    expect(guard.waitSeconds('first')).toBeGreaterThan(0);
    for (let i = 0; i < MAX_REMEMBERED_ACCOUNTS; i++) guard.failed(`random-${i}`);
    expect(guard.waitSeconds('first')).toBe(0);
  });

  it('hashes at most `hashingConcurrency` at once with a bounded queue; past it 503 ERR_OVERLOADED with Retry-After at once', async () => {
    const guard = new SignInGuard({ hashingConcurrency: 2, hashingQueue: 3 });
    let running = 0;
    let most = 0;
    const releases: Array<() => void> = [];
    const work = () =>
      new Promise<number>((resolve) => {
        running++;
        most = Math.max(most, running);
        releases.push(() => {
          running--;
          resolve(1);
        });
      });
    const settled = Array.from({ length: 8 }, () =>
      guard.hash(work).then(
        () => 'done',
        (error: unknown) => error,
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 8 && releases.length > 0; i++) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(settled);
    expect(most).toBe(2);
    expect(results.filter((r) => r === 'done')).toHaveLength(5);
    const refused = results.filter((r) => r !== 'done') as AppError[];
    expect(refused).toHaveLength(3);
    for (const error of refused) expect(error).toMatchObject({ code: 'ERR_OVERLOADED', status: 503, retryAfterSeconds: 1 });
  });
});
