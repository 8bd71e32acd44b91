import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, type JournalAppend } from './entry.js';
import { Journal } from './journal.js';
import { JOURNAL_MIGRATIONS, migrateJournal, type JournalMigration } from './migrations.js';

const opened: Array<{ close(): void }> = [];
afterEach(() => {
  for (const handle of opened.splice(0)) handle.close();
});

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-migrations-'));
}

function openJournal(dir: string, megabytes = 1): Journal {
  const journal = new Journal(dir, { maxMegabytes: megabytes, tenantMaxMegabytes: megabytes });
  opened.push(journal);
  return journal;
}

function sqlite(file: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(file);
  opened.push(db);
  return db;
}

/** The first journal file's schema, before any column or table was added to it. */
const FIRST_SCHEMA = `
  create table entries (
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
  create index entries_status_seq on entries (status, seq);
  create index entries_tenant_key on entries (tenant_id, idempotency_key);
  create table leases (name text primary key, holder text not null, expires_at integer not null);
`;

/** The columns of `entries` in a new file, in order: the same as robusto made before the steps were recorded. */
const ENTRY_COLUMNS = [
  'seq',
  'receipt',
  'tenant_id',
  'user_id',
  'idempotency_key',
  'fingerprint',
  'command',
  'command_version',
  'payload',
  'request_id',
  'accepted_at',
  'status',
  'attempts_started',
  'attempts_finished',
  'last_error',
  'last_error_code',
  'status_code',
  'response',
  'finished_at',
  'discarded_by',
  'discard_reason',
  'retried_by',
  'retried_at',
  'applied_if_audit',
  'bytes',
  'secret_fields',
  'token_epoch',
];

/** Writes, as an older robusto did, `journal.db` in `dir` with the first schema (plus `extra` SQL) and three entries of tenant t1: two pending, one dead. */
function writeOldFile(dir: string, extra: string): { payload: string } {
  const db = new SqliteDatabase(path.join(dir, 'journal.db'));
  db.pragma('journal_mode = WAL');
  db.exec(FIRST_SCHEMA + extra);
  const insert = db.prepare(
    `insert into entries (receipt, tenant_id, user_id, idempotency_key, fingerprint, command, command_version, payload, request_id, accepted_at, status)
     values (?, 't1', 'u1', ?, 'f', 'test.write', 1, ?, ?, '2026-11-20T10:00:00.000Z', ?)`,
  );
  const payload = JSON.stringify({ name: 'x'.repeat(100 * 1024) });
  insert.run('r1', 'k1', payload, 'q1', 'pending');
  insert.run('r2', 'k2', JSON.stringify({ n: 2 }), 'q2', 'dead');
  insert.run('r3', 'k3', payload, 'q3', 'pending');
  db.close();
  return { payload };
}

/** An append of tenant t1 under the key `key`. */
function appendOf(key: string, payload: unknown): JournalAppend {
  return { tenantId: 't1', userId: 'u1', idempotencyKey: key, fingerprint: 'f', command: 'test.write', commandVersion: 1, payload, requestId: `q-${key}` };
}

function columnsOf(db: SqliteDatabase.Database): string[] {
  return (db.prepare('pragma table_info(entries)').all() as Array<{ name: string }>).map((c) => c.name);
}

function recordedSteps(db: SqliteDatabase.Database): string[] {
  return db.prepare('select name from journal_migrations order by rowid').pluck().all() as string[];
}

describe('journal migrations', () => {
  it('a new file takes every step, in order, each recorded; its entries have the columns robusto always gave a new file', () => {
    const dir = tempDir();
    openJournal(dir);
    const db = sqlite(path.join(dir, 'journal.db'));
    expect(recordedSteps(db)).toEqual(JOURNAL_MIGRATIONS.map((m) => m.name));
    expect(columnsOf(db)).toEqual(ENTRY_COLUMNS);
  });

  it.each([
    ['the first schema', ''],
    ['the first schema with applied_if_audit', 'alter table entries add column applied_if_audit text;'],
  ])('a file of %s opens: its entries read back, pending and shares counted, writes taken, every step recorded', async (_name, extra) => {
    const dir = tempDir();
    const { payload } = writeOldFile(dir, extra);
    const journal = openJournal(dir);
    expect(journal.hasPending()).toBe(true);
    expect(journal.stats()).toMatchObject({ pending: 2, dead: 1 });
    expect(journal.pending(10).map((e) => e.receipt)).toEqual(['r1', 'r3']);
    expect(journal.byReceipt('t1', 'r2')).toMatchObject({ status: 'dead', payload: { n: 2 }, secretFields: [], tokenEpoch: null, appliedIfAudit: null });
    expect(journal.deadLetters('t1', 10).map((e) => e.receipt)).toEqual(['r2']);

    const db = sqlite(path.join(dir, 'journal.db'));
    expect(recordedSteps(db)).toEqual(JOURNAL_MIGRATIONS.map((m) => m.name));
    expect([...columnsOf(db)].sort()).toEqual([...ENTRY_COLUMNS].sort());
    // The columns the steps add have the types and defaults a new file's have.
    const added = db
      .prepare(
        `select name, type, "notnull", dflt_value from pragma_table_info('entries') where name in ('applied_if_audit', 'bytes', 'secret_fields', 'token_epoch') order by name`,
      )
      .all();
    expect(added).toEqual([
      { name: 'applied_if_audit', type: 'TEXT', notnull: 0, dflt_value: null },
      { name: 'bytes', type: 'INTEGER', notnull: 1, dflt_value: '0' },
      { name: 'secret_fields', type: 'TEXT', notnull: 0, dflt_value: null },
      { name: 'token_epoch', type: 'INTEGER', notnull: 0, dflt_value: null },
    ]);
    // The entries already there count in their tenant's share, and in all.
    const held = Buffer.byteLength(payload) + ENTRY_OVERHEAD_BYTES;
    expect(db.prepare('select tenant_id, pending_bytes from tenant_usage order by tenant_id').all()).toEqual([
      { tenant_id: '', pending_bytes: 2 * held },
      { tenant_id: 't1', pending_bytes: 2 * held },
    ]);

    const receipt = await journal.append({ ...appendOf('k4', { n: 4 }), secretFields: ['n'], tokenEpoch: 3 });
    expect(journal.byReceipt('t1', receipt)).toMatchObject({ status: 'pending', secretFields: ['n'], tokenEpoch: 3 });
    // What the 1 MB journal holds (two 100 KB entries and the new one) leaves no room for 1 MB more.
    await expect(journal.append(appendOf('k5', { big: 'x'.repeat(1024 * 1024) }))).rejects.toMatchObject({ reason: 'limit' });
  });

  it('a file made before the steps were recorded takes them without changing anything, and is not migrated again after', async () => {
    const dir = tempDir();
    const first = openJournal(dir);
    const receipt = await first.append(appendOf('k1', { n: 1 }));
    first.close();
    const db = sqlite(path.join(dir, 'journal.db'));
    // As robusto left it before it recorded the steps, with a count the entry-bytes step would overwrite if it ran.
    db.exec('drop table journal_migrations; update entries set bytes = 12345');
    const usage = () => db.prepare('select tenant_id, pending_bytes from tenant_usage order by tenant_id').all();
    const before = usage();

    const again = openJournal(dir);
    expect(again.byReceipt('t1', receipt)).toMatchObject({ status: 'pending', payload: { n: 1 } });
    expect(db.prepare('select bytes from entries').pluck().get()).toBe(12345);
    expect(usage()).toEqual(before);
    expect(recordedSteps(db)).toEqual(JOURNAL_MIGRATIONS.map((m) => m.name));
    const appliedAt = db.prepare('select applied_at from journal_migrations order by rowid').pluck().all();
    openJournal(dir).close();
    expect(db.prepare('select applied_at from journal_migrations order by rowid').pluck().all()).toEqual(appliedAt);
  });

  it('applies only the steps not recorded, in the list order; a step that fails leaves the file as it was', () => {
    const db = new SqliteDatabase(':memory:');
    opened.push(db);
    const ran: string[] = [];
    const step = (name: string, fail = false): JournalMigration => ({
      name,
      up: (target) => {
        ran.push(name);
        target.exec(`create table ${name.replaceAll('-', '_')} (x integer)`);
        if (fail) throw new Error(`${name} failed`);
      },
    });
    migrateJournal(db, [step('a-one'), step('b-two')]);
    expect(ran).toEqual(['a-one', 'b-two']);
    migrateJournal(db, [step('a-one'), step('c-three'), step('b-two')]);
    expect(ran).toEqual(['a-one', 'b-two', 'c-three']);
    expect(recordedSteps(db)).toEqual(['a-one', 'b-two', 'c-three']);

    expect(() => migrateJournal(db, [step('d-four'), step('e-five', true)])).toThrow('e-five failed');
    expect(recordedSteps(db)).toEqual(['a-one', 'b-two', 'c-three']);
    expect(db.prepare(`select name from sqlite_master where name in ('d_four', 'e_five')`).all()).toEqual([]);
  });
});
