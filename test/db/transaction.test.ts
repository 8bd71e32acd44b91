// Database.transaction: what every command runs in. On PostgreSQL it is robusto's own (a pooled
// client, BEGIN, a Kysely handle on that client, COMMIT or ROLLBACK); these checks hold it to
// the semantics of kysely.transaction().execute() on both engines.
import { sql, type Kysely, type Transaction } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { insertRow } from '../../src/db/insert-rows.js';
import { openNotesDatabase, type NotesDatabase, type NotesTables as Tables } from '../support/notes-database.js';
import { ENGINES } from '../support/test-database.js';

describe.each(ENGINES)('Database.transaction on %s', (engine) => {
  let notes: NotesDatabase;
  let db: Database;
  let kysely: Kysely<Tables>;
  let statements: string[];

  beforeAll(async () => {
    notes = await openNotesDatabase(engine, { DB_POOL_MAX: '3' });
    ({ db, kysely, statements } = notes);
  });
  afterAll(() => notes?.close());
  beforeEach(async () => {
    await kysely.deleteFrom('notes').execute();
  });

  const titles = async () => (await kysely.selectFrom('notes').select('title').orderBy('id').execute()).map((r) => r.title);

  it('commits what the callback wrote and resolves its value; query builders and insertRow both run inside', async () => {
    const value = await db.transaction(async (tx: Transaction<Tables>) => {
      await insertRow(tx, 'notes', { id: 'a', title: 'by insertRow' });
      await tx.insertInto('notes').values({ id: 'b', title: 'by the builder' }).execute();
      const updated = await tx.updateTable('notes').set({ title: 'updated' }).where('id', '=', 'b').executeTakeFirst();
      return { updated: updated.numUpdatedRows, seen: (await tx.selectFrom('notes').select('id').execute()).length };
    });
    expect(value).toEqual({ updated: 1n, seen: 2 });
    expect(await titles()).toEqual(['by insertRow', 'updated']);
  });

  it('rolls back everything when the callback throws, and rethrows the same error', async () => {
    const failure = new Error('the handler refused');
    await expect(
      db.transaction(async (tx: Transaction<Tables>) => {
        await insertRow(tx, 'notes', { id: 'a', title: 'never kept' });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await titles()).toEqual([]);
  });

  it('rolls back when a statement fails (a duplicate key), with the database error', async () => {
    await insertRow(kysely, 'notes', { id: 'taken', title: 'first' });
    const error = await db
      .transaction(async (tx: Transaction<Tables>) => {
        await insertRow(tx, 'notes', { id: 'new', title: 'not kept' });
        await insertRow(tx, 'notes', { id: 'taken', title: 'duplicate' });
      })
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/unique|duplicate/i);
    expect(await titles()).toEqual(['first']);
  });

  it('refuses a handle used after its transaction ended, so it cannot run in the next one on the same connection', async () => {
    let kept: Transaction<Tables> | undefined;
    await db.transaction(async (tx: Transaction<Tables>) => {
      kept = tx;
    });
    await expect(kept!.insertInto('notes').values({ id: 'late', title: 'too late' }).execute()).rejects.toThrow(/ended|committed/);
    await expect(insertRow(kept!, 'notes', { id: 'late', title: 'too late' })).rejects.toThrow(/ended|committed/);
    expect(await titles()).toEqual([]);
  });

  it('gives every connection back, after commits and rollbacks alike', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        db
          .transaction(async (tx: Transaction<Tables>) => {
            await insertRow(tx, 'notes', { id: `n${String(i).padStart(2, '0')}`, title: `note ${i}` });
            if (i % 3 === 0) throw new Error('rolled back on purpose');
          })
          .catch(() => undefined),
      ),
    );
    expect((await titles()).length).toBe(8);
    const stats = db.poolStats();
    expect(stats.waiting).toBe(0);
    expect(stats.idle).toBe(stats.total);
  });

  it('tells the query listener of every statement, BEGIN and COMMIT included', async () => {
    statements.length = 0;
    await db.transaction(async (tx: Transaction<Tables>) => {
      await insertRow(tx, 'notes', { id: 'seen', title: 'seen' });
    });
    const run = statements.map((s) => /^\w+/.exec(s.trim())?.[0].toLowerCase());
    // On SQLite each write runs in its own savepoint of a group's transaction (see sqliteGroupCommit).
    expect(run).toEqual(engine === 'sqlite' ? ['begin', 'savepoint', 'insert', 'release', 'commit'] : ['begin', 'insert', 'commit']);
  });

  it('runs a raw sql`` statement on the handle', async () => {
    const result = await db.transaction(async (tx: Transaction<Tables>) => sql<{ n: number }>`select 1 as n`.execute(tx));
    expect(Number(result.rows[0]?.n)).toBe(1);
  });
});
