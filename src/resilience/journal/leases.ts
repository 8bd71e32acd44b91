import type SqliteDatabase from 'better-sqlite3';
import type { Writing } from './journal-faults.js';

/**
 * Takes or renews the lease `name` for `holder` for `ttlMs`, through `writing`: true if `holder`
 * has it now, false while another holder's lease runs (unless `isGone` says that holder no
 * longer exists).
 */
export function acquireLease(
  db: SqliteDatabase.Database,
  writing: Writing,
  lease: { name: string; holder: string; ttlMs: number },
  isGone: (holder: string) => boolean,
): boolean {
  const { name, holder, ttlMs } = lease;
  const now = Date.now();
  return writing(() =>
    db
      .transaction(() => {
        const row = db.prepare('select holder, expires_at from leases where name = ?').get(name) as { holder: string; expires_at: number } | undefined;
        if (row && row.holder !== holder && row.expires_at > now && !isGone(row.holder)) return false;
        db.prepare(
          'insert into leases (name, holder, expires_at) values (?, ?, ?) on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at',
        ).run(name, holder, now + ttlMs);
        return true;
      })
      .immediate(),
  );
}

/**
 * Gives the lease `name` up, if `holder` has it, through `writing`. Never throws: a lease that
 * cannot be deleted (a full disk, a closed file) expires by itself.
 */
export function releaseLease(db: SqliteDatabase.Database, writing: Writing, name: string, holder: string): void {
  if (!db.open) return;
  try {
    writing(() => db.prepare('delete from leases where name = ? and holder = ?').run(name, holder));
  } catch {
    // Broken (and said so once), or busy: the lease runs out after its time to live.
  }
}
