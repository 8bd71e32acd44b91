import type SqliteDatabase from 'better-sqlite3';
import { ENTRY_OVERHEAD_BYTES } from './entry.js';

/**
 * One change of the journal file's schema: applied once, in its place in
 * {@link JOURNAL_MIGRATIONS}, and recorded by name in the file's `journal_migrations` table.
 *
 * NB: files made before the steps were recorded hold some of these changes already (robusto
 * then looked for each column and table it lacked), so each step looks for what it adds and
 * does nothing when it is there: such a file takes every step once, and has its record after.
 */
export interface JournalMigration {
  /** Recorded in the file once the step is applied; never renamed, or the step runs again. */
  readonly name: string;
  /** Makes the change, in the transaction that records it. */
  up(db: SqliteDatabase.Database): void;
}

/** True when `entries` has the column `name`. */
function hasColumn(db: SqliteDatabase.Database, name: string): boolean {
  return (db.prepare('pragma table_info(entries)').all() as Array<{ name: string }>).some((column) => column.name === name);
}

/** Adds the column `name` (its SQL `definition`) to `entries` unless it is there; true if it was added. */
function addColumn(db: SqliteDatabase.Database, name: string, definition: string): boolean {
  if (hasColumn(db, name)) return false;
  db.exec(`alter table entries add column ${name} ${definition}`);
  return true;
}

/** The first schema: the entries, their two indexes, and the leases. */
function createEntriesAndLeases(db: SqliteDatabase.Database): void {
  db.exec(`
    create table if not exists entries (
      seq integer primary key autoincrement,
      receipt text not null unique,
      tenant_id text not null,
      user_id text,
      idempotency_key text not null,
      fingerprint text not null,
      command text not null,
      command_version integer not null,
      payload text not null,
      request_id text not null,
      accepted_at text not null,
      status text not null default 'pending',
      attempts_started integer not null default 0,
      attempts_finished integer not null default 0,
      last_error text,
      last_error_code text,
      status_code integer,
      response text,
      finished_at text,
      discarded_by text,
      discard_reason text,
      retried_by text,
      retried_at text
    );
    create index if not exists entries_status_seq on entries (status, seq);
    create index if not exists entries_tenant_key on entries (tenant_id, idempotency_key);
    create table if not exists leases (name text primary key, holder text not null, expires_at integer not null);
  `);
}

/**
 * What each tenant's pending entries hold (`tenant_usage`; the tenant '' is the total), counted
 * from the entries there are and then kept by triggers on every change of an entry, whichever
 * process makes it.
 */
function createTenantUsage(db: SqliteDatabase.Database): void {
  if (db.prepare(`select 1 from sqlite_master where type = 'table' and name = 'tenant_usage'`).get() !== undefined) return;
  db.exec(`
    create table tenant_usage (tenant_id text primary key, pending_bytes integer not null default 0);
    insert into tenant_usage (tenant_id, pending_bytes)
      select tenant_id, sum(bytes) from entries where status = 'pending' group by tenant_id
      union all select '', coalesce(sum(bytes), 0) from entries where status = 'pending';
    create trigger entries_usage_insert after insert on entries when new.status = 'pending' begin
      insert into tenant_usage (tenant_id, pending_bytes) values (new.tenant_id, new.bytes), ('', new.bytes)
        on conflict (tenant_id) do update set pending_bytes = pending_bytes + excluded.pending_bytes;
    end;
    create trigger entries_usage_back after update of status on entries when old.status != 'pending' and new.status = 'pending' begin
      insert into tenant_usage (tenant_id, pending_bytes) values (new.tenant_id, new.bytes), ('', new.bytes)
        on conflict (tenant_id) do update set pending_bytes = pending_bytes + excluded.pending_bytes;
    end;
    create trigger entries_usage_done after update of status on entries when old.status = 'pending' and new.status != 'pending' begin
      update tenant_usage set pending_bytes = pending_bytes - old.bytes where tenant_id in (old.tenant_id, '');
    end;
    create trigger entries_usage_delete after delete on entries when old.status = 'pending' begin
      update tenant_usage set pending_bytes = pending_bytes - old.bytes where tenant_id in (old.tenant_id, '');
    end;
  `);
}

/** The journal file's schema, step by step, oldest first: a new file takes them all, in this order. */
export const JOURNAL_MIGRATIONS: readonly JournalMigration[] = [
  { name: '001-entries-and-leases', up: createEntriesAndLeases },
  // The audit row whose existence says a write with a lost COMMIT answer was saved.
  { name: '002-applied-if-audit', up: (db) => addColumn(db, 'applied_if_audit', 'text') },
  {
    // What each entry is counted as holding; the entries already there are counted now.
    name: '003-entry-bytes',
    up: (db) => {
      if (addColumn(db, 'bytes', 'integer not null default 0'))
        db.prepare('update entries set bytes = length(cast(payload as blob)) + ?').run(ENTRY_OVERHEAD_BYTES);
    },
  },
  { name: '004-tenant-usage', up: createTenantUsage },
  // The payload's fields its command declared secret.
  { name: '005-secret-fields', up: (db) => addColumn(db, 'secret_fields', 'text') },
  // The token epoch of the token a write came with.
  { name: '006-token-epoch', up: (db) => addColumn(db, 'token_epoch', 'integer') },
];

/**
 * Brings the journal file `db` up to date: applies the steps of `migrations` it has not
 * recorded, in order, and records each. All in one immediate transaction, so that processes
 * opening the same file at once apply each step once (the others wait, then find it recorded),
 * and a step that fails leaves the file as it was.
 */
export function migrateJournal(db: SqliteDatabase.Database, migrations: readonly JournalMigration[] = JOURNAL_MIGRATIONS): void {
  db.transaction(() => {
    db.exec('create table if not exists journal_migrations (name text primary key, applied_at text not null)');
    const recorded = new Set(db.prepare('select name from journal_migrations').pluck().all() as string[]);
    const record = db.prepare('insert into journal_migrations (name, applied_at) values (?, ?)');
    for (const migration of migrations) {
      if (recorded.has(migration.name)) continue;
      migration.up(db);
      record.run(migration.name, new Date().toISOString());
    }
  }).immediate();
}
