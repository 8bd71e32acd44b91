// The ways a SQLite write group fails, on an in-memory database: its BEGIN, a member's savepoint
// that cannot be released or rolled back to, its COMMIT. Each write is answered, with the error
// that stopped it, and none is kept that was not answered as saved. And a write sent one turn of
// the event loop after the group started still joins it.
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TransactionRunner } from '../database.js';
import { sqliteGroupCommit } from './sqlite-group-commit.js';

interface Tables {
  parents: { id: string };
  children: { id: string; parent: string };
}

describe('SQLite write groups that fail', () => {
  let kysely: Kysely<Tables>;
  let transaction: TransactionRunner;
  let statements: string[];

  beforeEach(async () => {
    statements = [];
    const dialect = new SqliteDialect({ database: new SqliteDatabase(':memory:') });
    const config = { dialect, log: (event: { query: { sql: string } }) => void statements.push(event.query.sql) };
    kysely = new Kysely<Tables>(config);
    await sql`pragma foreign_keys = on`.execute(kysely);
    await sql`create table parents (id text primary key)`.execute(kysely);
    await sql`create table children (id text primary key, parent text references parents (id) deferrable initially deferred)`.execute(kysely);
    transaction = sqliteGroupCommit(kysely, { dialect, config });
    statements.length = 0;
  });
  afterEach(() => kysely.destroy());

  const run = <T>(work: (tx: Transaction<Tables>) => Promise<T>) => transaction(work);
  const addParent = (id: string) =>
    run(async (tx) =>
      tx
        .insertInto('parents')
        .values({ id })
        .execute()
        .then(() => id),
    );
  const parents = async () => (await kysely.selectFrom('parents').select('id').orderBy('id').execute()).map((r) => r.id);
  const begins = () => statements.filter((s) => s === 'begin immediate').length;

  it('answers every write of the group with the error of a BEGIN that fails', async () => {
    await sql`begin`.execute(kysely);
    const results = await Promise.allSettled([addParent('a'), addParent('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const result of results)
      expect((result as PromiseRejectedResult).reason).toMatchObject({ message: 'cannot start a transaction within a transaction' });
    await sql`rollback`.execute(kysely);
    expect(await addParent('c')).toBe('c');
    expect(await parents()).toEqual(['c']);
  });

  it('fails every write of a group whose COMMIT fails, and keeps none of them', async () => {
    const results = await Promise.allSettled([
      addParent('a'),
      run(async (tx) => tx.insertInto('children').values({ id: 'orphan', parent: 'nobody' }).execute()),
      addParent('b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const result of results) expect((result as PromiseRejectedResult).reason).toMatchObject({ message: 'FOREIGN KEY constraint failed' });
    expect(await parents()).toEqual([]);
    expect(await addParent('after')).toBe('after');
  });

  it('answers a write whose savepoint cannot be released with that error, fails the writes of its group before it, and runs those after it in a new group', async () => {
    const results = await Promise.allSettled([
      addParent('a'),
      run(async (tx) => {
        await sql`release robusto_write`.execute(tx);
        return 'released it myself';
      }),
      addParent('b'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'no such savepoint: robusto_write' });
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'no such savepoint: robusto_write' });
    expect(await addParent('after')).toBe('after');
    expect(await parents()).toEqual(['after', 'b']);
    expect(begins()).toBe(3);
  });

  it('answers a write that throws with its own error when its savepoint is gone, and fails the writes before it', async () => {
    const failure = new Error('changed my mind');
    const results = await Promise.allSettled([
      addParent('a'),
      run(async (tx) => {
        await sql`release robusto_write`.execute(tx);
        throw failure;
      }),
    ]);
    expect((results[1] as PromiseRejectedResult).reason).toBe(failure);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { message: 'no such savepoint: robusto_write' } });
    expect(await addParent('after')).toBe('after');
  });

  it('takes into the group a write sent one turn of the event loop after it started', async () => {
    const first = addParent('a');
    const second = new Promise<string>((resolve, reject) => setImmediate(() => addParent('b').then(resolve, reject)));
    expect(await Promise.all([first, second])).toEqual(['a', 'b']);
    expect(begins()).toBe(1);
  });

  it('waits no turn after a write that failed alone: the next write makes a group of its own', async () => {
    const failing = run(async () => {
      throw new Error('refused');
    }).catch((error: unknown) => error);
    const late = new Promise<string>((resolve, reject) => setImmediate(() => addParent('late').then(resolve, reject)));
    expect(await failing).toMatchObject({ message: 'refused' });
    expect(await late).toBe('late');
    expect(begins()).toBe(2);
  });
});
