import type SqliteDatabase from 'better-sqlite3';
import { toEntry, type EntryRow, type JournalEntry } from './entry.js';
import type { Writing } from './journal-faults.js';

/** The oldest pending entries of `db`, in acceptance order, after `afterSeq`. */
export function pendingEntries(db: SqliteDatabase.Database, limit: number, afterSeq: number): JournalEntry[] {
  return (db.prepare(`select * from entries where status = 'pending' and seq > ? order by seq limit ?`).all(afterSeq, limit) as EntryRow[]).map(toEntry);
}

/** A tenant's pending entries (every tenant's when `tenantId` is undefined), oldest first, after `afterSeq`: what the admin lists. */
export function pendingOf(db: SqliteDatabase.Database, tenantId: string | undefined, limit: number, afterSeq: number): JournalEntry[] {
  const rows = tenantId
    ? db.prepare(`select * from entries where status = 'pending' and tenant_id = ? and seq > ? order by seq limit ?`).all(tenantId, afterSeq, limit)
    : db.prepare(`select * from entries where status = 'pending' and seq > ? order by seq limit ?`).all(afterSeq, limit);
  return (rows as EntryRow[]).map(toEntry);
}

/** One entry by receipt, only within its tenant. */
export function entryByReceipt(db: SqliteDatabase.Database, tenantId: string, receipt: string): JournalEntry | undefined {
  const row = db.prepare('select * from entries where receipt = ? and tenant_id = ?').get(receipt, tenantId) as EntryRow | undefined;
  return row ? toEntry(row) : undefined;
}

/** The row of the latest entry of a tenant's client key, if any. */
export function rowByKey(db: SqliteDatabase.Database, tenantId: string, idempotencyKey: string): EntryRow | undefined {
  return db.prepare('select * from entries where tenant_id = ? and idempotency_key = ? order by seq desc limit 1').get(tenantId, idempotencyKey) as
    EntryRow | undefined;
}

/**
 * Deletes entries applied, found already applied or discarded before `before` (their receipts
 * have answered long enough), through `writing`; pending and dead entries are never deleted.
 * Returns the count.
 */
export function deleteFinished(db: SqliteDatabase.Database, writing: Writing, before: string): number {
  return writing(() => db.prepare(`delete from entries where status in ('applied', 'duplicate', 'discarded') and finished_at < ?`).run(before).changes);
}
