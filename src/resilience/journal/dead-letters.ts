import type SqliteDatabase from 'better-sqlite3';
import { toEntry, type EntryRow, type JournalEntry } from './entry.js';
import type { Writing } from './journal-faults.js';

/** A tenant's dead letters (every tenant's when `tenantId` is undefined), oldest first, after `afterSeq`. */
export function deadLetters(db: SqliteDatabase.Database, tenantId: string | undefined, limit: number, afterSeq: number): JournalEntry[] {
  const rows = tenantId
    ? db.prepare(`select * from entries where status = 'dead' and tenant_id = ? and seq > ? order by seq limit ?`).all(tenantId, afterSeq, limit)
    : db.prepare(`select * from entries where status = 'dead' and seq > ? order by seq limit ?`).all(afterSeq, limit);
  return (rows as EntryRow[]).map(toEntry);
}

/**
 * Puts a dead letter back in the queue, at its old place (it is applied before anything
 * journaled after it), recording who asked, through `writing`. False if there is no such dead
 * letter.
 */
export function requeueDead(db: SqliteDatabase.Database, writing: Writing, tenantId: string, receipt: string, by: string): boolean {
  const changed = writing(
    () =>
      db
        .prepare(
          `update entries set status = 'pending', retried_by = ?, retried_at = ?, finished_at = null where tenant_id = ? and receipt = ? and status = 'dead'`,
        )
        .run(by, new Date().toISOString(), tenantId, receipt).changes,
  );
  return changed > 0;
}

/** Gives up on a dead letter for good, recording who and why, through `writing`; the entry itself is kept. False if there is no such dead letter. */
export function discardDead(db: SqliteDatabase.Database, writing: Writing, tenantId: string, receipt: string, by: { userId: string; reason: string }): boolean {
  return writing(
    () =>
      db
        .prepare(
          `update entries set status = 'discarded', discarded_by = ?, discard_reason = ?, finished_at = ? where tenant_id = ? and receipt = ? and status = 'dead'`,
        )
        .run(by.userId, by.reason, new Date().toISOString(), tenantId, receipt).changes > 0,
  );
}
