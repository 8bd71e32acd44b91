import { defineJob, type JobDefinition } from '../jobs/job.js';
import type { Dispatcher } from './dispatcher.js';
import type { Journal } from './journal/journal.js';

/** Pruning runs hourly, at 17 minutes past (off the hour, when other jobs tend to run). */
export const PRUNE_SCHEDULE = { cron: '17 * * * *' };

/**
 * Removes journal entries applied or discarded more than `retentionHours` before `now` (their
 * receipts answered as long as their keys would). Pending and dead entries are never removed.
 * Returns how many went.
 */
export function pruneJournal(journal: Journal, retentionHours: number, now = new Date()): number {
  return journal.pruneFinished(new Date(now.getTime() - retentionHours * 3_600_000).toISOString());
}

/**
 * Removes expired idempotency keys, except keys that a write still pending in the journal may
 * need at its replay. Returns how many went.
 */
export function pruneKeys(journal: Journal, dispatcher: Dispatcher, now = new Date()): Promise<number> {
  return dispatcher.pruneKeys(now.toISOString(), journal.stats().oldestPendingAt);
}

/**
 * The pruning jobs: `prune-journal` for this machine's journal file (every process may run it;
 * deleting what is gone is harmless) and `prune-keys` for the database (one process per slot).
 */
export function pruneJobs(journal: Journal, dispatcher: Dispatcher, retentionHours: number): JobDefinition<void>[] {
  return [
    defineJob<void>({
      name: 'prune-journal',
      schedule: PRUNE_SCHEDULE,
      scope: 'process',
      run: async () => ({ journalEntries: pruneJournal(journal, retentionHours) }),
    }),
    defineJob<void>({ name: 'prune-keys', schedule: PRUNE_SCHEDULE, run: async () => ({ idempotencyKeys: await pruneKeys(journal, dispatcher) }) }),
  ];
}
