import { describe, expect, it } from 'vitest';
import type { Database, PoolStats } from '../db/database.js';
import { poolWatchJob } from './pool-watch.js';

describe('watch-pool job', () => {
  it('alerts once the pool has stayed over 80 % busy for the set time, and resolves when it has room', async () => {
    let stats: PoolStats = { total: 10, idle: 1, waiting: 3, max: 10 };
    const events: string[] = [];
    const alerter = { raise: (kind: string) => void events.push(`firing ${kind}`), resolve: (kind: string) => void events.push(`resolved ${kind}`) };
    const job = poolWatchJob({ poolStats: () => stats } as unknown as Database, alerter, 50);
    const signal = new AbortController().signal;

    await job.run(undefined, signal);
    expect(events).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await job.run(undefined, signal);
    expect(events).toEqual(['firing pool_saturated']);

    stats = { total: 10, idle: 6, waiting: 0, max: 10 };
    await job.run(undefined, signal);
    expect(events).toEqual(['firing pool_saturated', 'resolved pool_saturated']);
  });

  it('does not count a pool that is exactly 80 % busy, nor a briefly busy one', async () => {
    const events: string[] = [];
    let stats: PoolStats = { total: 10, idle: 2, waiting: 0, max: 10 };
    const job = poolWatchJob({ poolStats: () => stats } as unknown as Database, { raise: () => void events.push('firing'), resolve: () => undefined }, 50);
    const signal = new AbortController().signal;
    await job.run(undefined, signal);
    stats = { total: 10, idle: 0, waiting: 0, max: 10 };
    await job.run(undefined, signal);
    stats = { total: 10, idle: 5, waiting: 0, max: 10 };
    await new Promise((resolve) => setTimeout(resolve, 60));
    await job.run(undefined, signal);
    expect(events).toEqual([]);
  });
});
