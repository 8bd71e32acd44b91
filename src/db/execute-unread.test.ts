// executeUnread: a statement run for its effect. Inside a PostgreSQL write transaction it waits
// for the next statement that needs the server (here the COMMIT), and its error surfaces there;
// everywhere else it runs at once.
import type { Kysely, Transaction } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openNotesDatabase, type NotesDatabase, type NotesTables } from '../../test/support/notes-database.js';
import { ENGINES } from '../../test/support/test-database.js';
import { executeUnread } from './execute-unread.js';

describe.each(ENGINES)('executeUnread on %s', (engine) => {
  let notes: NotesDatabase;
  let kysely: Kysely<NotesTables>;

  beforeAll(async () => {
    notes = await openNotesDatabase(engine);
    kysely = notes.kysely;
  });
  afterAll(() => notes?.close());
  beforeEach(async () => {
    await kysely.deleteFrom('notes').execute();
    await kysely
      .insertInto('notes')
      .values([
        { id: 'a', title: 'um' },
        { id: 'b', title: 'dois' },
      ])
      .execute();
    notes.statements.length = 0;
  });

  const ids = async () => (await kysely.selectFrom('notes').select('id').orderBy('id').execute()).map((r) => r.id);
  const DELETE = 'delete from "notes" where "id" = ';

  it('runs at once outside a transaction, and resolves with nothing', async () => {
    await expect(executeUnread(kysely, kysely.deleteFrom('notes').where('id', '=', 'a'))).resolves.toBeUndefined();
    expect(await ids()).toEqual(['b']);
  });

  it('inside a write transaction, is sent with the COMMIT on PostgreSQL and at once on SQLite', async () => {
    let sentBeforeCommit: string[] = [];
    await notes.db.transaction(async (tx: Transaction<NotesTables>) => {
      await executeUnread(tx, tx.deleteFrom('notes').where('id', '=', 'a'));
      sentBeforeCommit = notes.statements.filter((s) => s.startsWith(DELETE));
    });
    expect(sentBeforeCommit).toHaveLength(engine === 'postgres' ? 0 : 1);
    expect(notes.statements.filter((s) => s.startsWith(DELETE))).toHaveLength(1);
    expect(await ids()).toEqual(['b']);
  });

  it('a statement that fails: its error surfaces at the COMMIT on PostgreSQL, at the call on SQLite, and nothing is kept', async () => {
    let failedAtCall = false;
    const outcome = notes.db.transaction(async (tx: Transaction<NotesTables>) => {
      await tx.insertInto('notes').values({ id: 'c', title: 'três' }).execute();
      await executeUnread(
        tx,
        tx
          .updateTable('notes')
          .set({ title: null as unknown as string })
          .where('id', '=', 'a'),
      ).catch((error: unknown) => {
        failedAtCall = true;
        throw error;
      });
    });
    await expect(outcome).rejects.toThrow(/null/i);
    expect(failedAtCall).toBe(engine === 'sqlite');
    expect(await ids()).toEqual(['a', 'b']);
  });
});
