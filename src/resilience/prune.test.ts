import { describe, expect, it } from 'vitest';
import type { Dispatcher } from './dispatcher.js';
import type { Journal } from './journal/journal.js';
import { PRUNE_SCHEDULE, pruneJobs, pruneJournal, pruneKeys } from './prune.js';

function fakes(oldestPendingAt: string | null = '2026-01-01T00:00:00.000Z') {
  const calls: { pruneFinished: string[]; pruneKeys: Array<[string, string | null]> } = { pruneFinished: [], pruneKeys: [] };
  const journal = {
    pruneFinished: (before: string) => {
      calls.pruneFinished.push(before);
      return 3;
    },
    stats: () => ({ oldestPendingAt }),
  } as unknown as Journal;
  const dispatcher = {
    pruneKeys: async (now: string, oldest: string | null) => {
      calls.pruneKeys.push([now, oldest]);
      return 5;
    },
  } as unknown as Dispatcher;
  return { journal, dispatcher, calls };
}

describe('pruning', () => {
  it('removes journal entries finished more than the retention before now', () => {
    const { journal, calls } = fakes();
    expect(pruneJournal(journal, 72, new Date('2026-01-04T12:00:00.000Z'))).toBe(3);
    expect(calls.pruneFinished).toEqual(['2026-01-01T12:00:00.000Z']);
  });

  it('removes expired keys, sparing those the oldest pending write may need', async () => {
    const { journal, dispatcher, calls } = fakes('2025-12-31T00:00:00.000Z');
    expect(await pruneKeys(journal, dispatcher, new Date('2026-01-04T12:00:00.000Z'))).toBe(5);
    expect(calls.pruneKeys).toEqual([['2026-01-04T12:00:00.000Z', '2025-12-31T00:00:00.000Z']]);
  });

  it('runs hourly, the journal in every process and the keys in one', async () => {
    const { journal, dispatcher, calls } = fakes();
    const [journalJob, keysJob] = pruneJobs(journal, dispatcher, 24);
    expect(PRUNE_SCHEDULE).toEqual({ cron: '17 * * * *' });
    expect(journalJob).toMatchObject({ name: 'prune-journal', schedule: PRUNE_SCHEDULE, scope: 'process' });
    expect(keysJob).toMatchObject({ name: 'prune-keys', schedule: PRUNE_SCHEDULE });
    expect(keysJob?.scope).not.toBe('process');
    const before = Date.now();
    expect(await journalJob!.run(undefined as never, undefined as never)).toEqual({ journalEntries: 3 });
    const after = Date.now();
    // The cut-off is 24 hours before the moment the job ran, somewhere between `before` and `after`.
    const cutoff = Date.parse(calls.pruneFinished[0]!);
    expect(cutoff).toBeGreaterThanOrEqual(before - 24 * 3_600_000);
    expect(cutoff).toBeLessThanOrEqual(after - 24 * 3_600_000);
    expect(await keysJob!.run(undefined as never, undefined as never)).toEqual({ idempotencyKeys: 5 });
    expect(calls.pruneKeys).toHaveLength(1);
  });
});
