// SQLite's write transactions in groups: concurrent writes share one COMMIT (one fsync), each
// still commits or fails on its own, and none is answered before its group's COMMIT returned.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { SQLITE_GROUP_MAX } from '../../src/db/dialects/sqlite-group-commit.js';
import { insertRow } from '../../src/db/insert-rows.js';
import { openNotesDatabase, type NotesDatabase, type NotesTables as Tables } from '../support/notes-database.js';

describe('SQLite group commit', () => {
  let notes: NotesDatabase;
  let db: Database;
  let kysely: Kysely<Tables>;
  let statements: string[];
  const commits = () => statements.filter((s) => /^commit/i.test(s)).length;

  beforeAll(async () => {
    notes = await openNotesDatabase('sqlite');
    ({ db, kysely, statements } = notes);
  });
  afterAll(() => notes?.close());
  beforeEach(async () => {
    await kysely.deleteFrom('notes').execute();
    statements.length = 0;
  });

  const write = (id: string) => db.transaction(async (tx: Transaction<Tables>) => insertRow(tx, 'notes', { id, title: id }).then(() => id));
  const ids = async () => (await kysely.selectFrom('notes').select('id').orderBy('id').execute()).map((r) => r.id);

  it('gives writes sent together one COMMIT, and answers each with its own result', async () => {
    const sent = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    expect(await Promise.all(sent.map(write))).toEqual(sent);
    expect(await ids()).toEqual(sent);
    expect(commits()).toBeLessThanOrEqual(2);
  });

  it('rolls back a write that throws to its savepoint alone: the others of its group are saved', async () => {
    const results = await Promise.allSettled([
      write('a'),
      db.transaction(async (tx: Transaction<Tables>) => {
        await insertRow(tx, 'notes', { id: 'gone', title: 'gone' });
        throw new Error('changed my mind');
      }),
      write('a'), // a duplicate key: the database refuses it
      write('b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'changed my mind' });
    expect(await ids()).toEqual(['a', 'b']);
    expect(commits()).toBe(1);
  });

  it('answers no write before its COMMIT returned, and fails every write of a group whose COMMIT fails', async () => {
    const answered: string[] = [];
    // A deferred foreign-key check fails at COMMIT, not at the statement.
    await sql`create table children (id text primary key, parent text references notes (id) deferrable initially deferred)`.execute(kysely);
    statements.length = 0;
    const results = await Promise.allSettled([
      write('x').then((id) => answered.push(id)),
      db.transaction(async (tx) => {
        await sql`insert into children (id, parent) values ('orphan', 'nobody')`.execute(tx);
      }),
      write('y').then((id) => answered.push(id)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(answered).toEqual([]);
    expect(await ids()).toEqual([]);
    // The next group starts clean.
    expect(await write('z')).toBe('z');
    expect(await ids()).toEqual(['z']);
    await kysely.schema.dropTable('children').execute();
  });

  it(`starts a new group past ${SQLITE_GROUP_MAX} writes`, async () => {
    const sent = Array.from({ length: SQLITE_GROUP_MAX + 10 }, (_, i) => `m${String(i).padStart(3, '0')}`);
    await Promise.all(sent.map(write));
    expect(await ids()).toHaveLength(sent.length);
    expect(commits()).toBe(2);
  });

  it(`puts ${SQLITE_GROUP_MAX} writes in one group, and the one after them in the next`, async () => {
    const sent = Array.from({ length: SQLITE_GROUP_MAX + 1 }, (_, i) => `e${String(i).padStart(3, '0')}`);
    await Promise.all(sent.map(write));
    expect(await ids()).toHaveLength(sent.length);
    expect(commits()).toBe(2);
    statements.length = 0;
    await Promise.all(sent.slice(1).map((id) => write(`f${id}`)));
    expect(commits()).toBe(1);
  });

  it('refuses a handle kept past its write, so it cannot run in a later write of the group', async () => {
    let kept: Transaction<Tables> | undefined;
    await db.transaction(async (tx: Transaction<Tables>) => {
      kept = tx;
      await insertRow(tx, 'notes', { id: 'k1', title: 'k1' });
    });
    const later = db.transaction(async (tx: Transaction<Tables>) => insertRow(tx, 'notes', { id: 'k2', title: 'k2' }));
    await expect(kept!.selectFrom('notes').selectAll().execute()).rejects.toThrow(/already ended/);
    await later;
    expect(await ids()).toEqual(['k1', 'k2']);
  });

  it('answers the writes waiting with an error, never leaves them hanging, once the database is closed', async () => {
    const { config } = loadConfig({ DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'robusto-group-closed-')) }, { ignoreDotEnv: true });
    const closed = createDb(config, pino({ level: 'silent' }));
    await closed.transaction(async () => 'opened');
    await closed.close();
    await expect(closed.transaction(async () => 'never')).rejects.toThrow();
    rmSync(config.paths.dataDir, { recursive: true, force: true });
  });
});
