// The planner's statistics: analyzeTables refreshes the tables named, analyzeChangedTables those
// of the current schema that changed by at least the threshold since their last ANALYZE (or hold
// rows and were never analyzed), on PostgreSQL by the server's own counts.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNotesDatabase, type NotesDatabase } from '../../test/support/notes-database.js';
import { analyzeChangedTables, analyzeTables } from './analyze.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tables made by the test itself
type AnyDb = Kysely<any>;

/** Writes `count` rows into `table` (a single text column `v`). */
async function fill(db: AnyDb, table: string, count: number): Promise<void> {
  await db
    .insertInto(table)
    .values(Array.from({ length: count }, (_, i) => ({ v: `${table}-${i}` })))
    .execute();
}

describe('analyze on PostgreSQL', () => {
  let notes: NotesDatabase;
  let db: AnyDb;

  /** Tables whose statistics the server holds (pg_stats has a row per analyzed column). */
  const analyzed = async (): Promise<string[]> =>
    (await sql<{ tablename: string }>`select distinct tablename from pg_stats where schemaname = current_schema() order by tablename`.execute(db)).rows.map(
      (r) => r.tablename,
    );
  /** Makes the counts of this connection's writes visible to pg_stat_user_tables now, not within a second. */
  const flushCounts = async () => {
    await sql`select pg_stat_force_next_flush()`.execute(db);
    await sql`select 1`.execute(db);
  };

  beforeAll(async () => {
    // One connection: the writes and the flush of their counts happen on the same session.
    notes = await openNotesDatabase('postgres', { DB_POOL_MAX: '1' });
    db = notes.kysely as AnyDb;
    for (const table of ['alpha', 'beta', 'gamma', 'empty']) await db.schema.createTable(table).addColumn('v', 'text').execute();
    await sql`create schema elsewhere`.execute(db);
    await db.schema.withSchema('elsewhere').createTable('hidden').addColumn('v', 'text').execute();
  });
  afterAll(() => notes?.close());

  it('analyzeTables refreshes the statistics of the tables named, and only those', async () => {
    await fill(db, 'alpha', 5);
    await fill(db, 'beta', 5);
    await analyzeTables(notes.db, ['alpha']);
    expect(await analyzed()).toEqual(['alpha']);
    await analyzeTables(notes.db, ['beta']);
    expect(await analyzed()).toEqual(['alpha', 'beta']);
  });

  it('analyzeChangedTables takes the tables changed by at least the threshold, or holding rows never analyzed, in name order', async () => {
    await flushCounts();
    await analyzeTables(notes.db, ['alpha', 'beta']);
    await fill(db, 'beta', 20);
    await fill(db, 'alpha', 19);
    await fill(db, 'gamma', 1);
    await db.insertInto('elsewhere.hidden').values({ v: 'other schema' }).execute();
    await flushCounts();
    expect(await analyzeChangedTables(notes.db, 20)).toEqual(['beta', 'gamma']);
    expect(await analyzed()).toEqual(['alpha', 'beta', 'gamma']);
    await flushCounts();
    expect(await analyzeChangedTables(notes.db, 20)).toEqual([]);
    expect(await analyzeChangedTables(notes.db, 19)).toEqual(['alpha']);
  });

  it('analyzeTables takes every table named when it runs several at once', async () => {
    for (const table of ['delta', 'epsilon', 'zeta']) {
      await db.schema.createTable(table).addColumn('v', 'text').execute();
      await fill(db, table, 3);
    }
    await analyzeTables(notes.db, ['delta', 'epsilon', 'zeta'], 2);
    expect(await analyzed()).toEqual(expect.arrayContaining(['delta', 'epsilon', 'zeta']));
  });
});

describe('analyze on SQLite', () => {
  let notes: NotesDatabase;
  let db: AnyDb;

  const analyzed = async (): Promise<string[]> => {
    const exists = await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'sqlite_stat1'`.execute(db);
    if (exists.rows[0]?.n === 0) return [];
    return (await sql<{ tbl: string }>`select distinct tbl from sqlite_stat1 order by tbl`.execute(db)).rows.map((r) => r.tbl);
  };

  beforeAll(async () => {
    notes = await openNotesDatabase('sqlite');
    db = notes.kysely as AnyDb;
    for (const table of ['alpha', 'beta']) {
      await db.schema.createTable(table).addColumn('v', 'text').execute();
      await db.schema.createIndex(`${table}_v`).on(table).column('v').execute();
    }
  });
  afterAll(() => notes?.close());

  it('analyzeTables refreshes the statistics of the tables named, and only those', async () => {
    await fill(db, 'alpha', 5);
    await fill(db, 'beta', 5);
    await analyzeTables(notes.db, ['alpha']);
    expect(await analyzed()).toEqual(['alpha']);
  });

  it('analyzeChangedTables leaves the choice to PRAGMA optimize, which names no table', async () => {
    await fill(db, 'beta', 2_000);
    expect(await analyzeChangedTables(notes.db, 1)).toEqual([]);
    expect(await analyzed()).toContain('beta');
  });
});
