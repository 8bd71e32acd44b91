import type { Dispatcher } from './dispatcher.js';
import type { Journal } from './journal.js';

/** What one pruning pass removed. */
export interface PruneResult {
  journalEntries: number;
  idempotencyKeys: number;
}

/**
 * Removes what has served its time: journal entries applied more than `retentionHours` ago (their
 * receipts answered as long as their keys would) and expired idempotency keys, except keys that
 * a pending journal entry may still need. Pending, dead and discarded entries are never removed.
 */
export async function pruneExpired(journal: Journal, dispatcher: Dispatcher, retentionHours: number, now = new Date()): Promise<PruneResult> {
  const journalEntries = journal.pruneApplied(new Date(now.getTime() - retentionHours * 3_600_000).toISOString());
  const idempotencyKeys = await dispatcher.pruneKeys(now.toISOString(), journal.stats().oldestPendingAt);
  return { journalEntries, idempotencyKeys };
}
