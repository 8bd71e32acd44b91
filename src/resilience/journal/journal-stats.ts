import type SqliteDatabase from 'better-sqlite3';

/** Figures for health and the admin: how much waits, since when, how many are parked. */
export interface JournalStats {
  pending: number;
  oldestPendingAt: string | null;
  dead: number;
  groupCommits: number;
  appendedTotal: number;
}

/** The journal's figures: those of `db`, and the group commit's counts of this process. */
export function journalStats(db: SqliteDatabase.Database, commits: Pick<JournalStats, 'groupCommits' | 'appendedTotal'>): JournalStats {
  // NB: each figure through the (status, seq) index, never a scan of the whole file: applied
  // entries are kept for days, and /metrics, /health and the alert watch ask often.
  const count = (status: string) => (db.prepare('select count(*) as n from entries where status = ?').get(status) as { n: number }).n;
  const oldest = db.prepare(`select accepted_at from entries where status = 'pending' order by seq limit 1`).get() as { accepted_at: string } | undefined;
  return {
    pending: count('pending'),
    oldestPendingAt: oldest?.accepted_at ?? null,
    dead: count('dead'),
    groupCommits: commits.groupCommits,
    appendedTotal: commits.appendedTotal,
  };
}

/**
 * The figures of one tenant's share of the journal: its writes waiting, the oldest of them and
 * its dead letters (what a tenant's admin sees; the rest is the installation's).
 */
export function tenantStats(db: SqliteDatabase.Database, tenantId: string): Pick<JournalStats, 'pending' | 'oldestPendingAt' | 'dead'> {
  // NB: forced through the (status, seq) index: only the pending and dead entries are read, not
  // the tenant's applied ones kept for days (which the (tenant_id, …) index would walk).
  const count = (status: string) =>
    (db.prepare('select count(*) as n from entries indexed by entries_status_seq where status = ? and tenant_id = ?').get(status, tenantId) as { n: number }).n;
  const oldest = db
    .prepare(`select accepted_at from entries indexed by entries_status_seq where status = 'pending' and tenant_id = ? order by seq limit 1`)
    .get(tenantId) as { accepted_at: string } | undefined;
  return { pending: count('pending'), oldestPendingAt: oldest?.accepted_at ?? null, dead: count('dead') };
}

/** How many writes wait, by command and the command version they were accepted under (what `robusto journal status` lists). */
export function pendingByCommand(db: SqliteDatabase.Database): Array<{ command: string; version: number; pending: number }> {
  return db
    .prepare(
      `select command, command_version as version, count(*) as pending from entries where status = 'pending' group by command, command_version order by command, command_version`,
    )
    .all() as Array<{ command: string; version: number; pending: number }>;
}
