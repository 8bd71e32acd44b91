// insertRows: many rows in one statement (one JSON parameter on PostgreSQL, a VALUES list on
// SQLite) that stores each value as the query builder would. insertRow: one row, its statement
// compiled once per engine, table and columns, built again whenever reusing it would not be safe.
import { CamelCasePlugin, InsertQueryBuilder, Kysely, SqliteDialect, SqliteQueryCompiler, sql, type Transaction } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openNotesDatabase, type NotesDatabase, type NotesTables } from '../../test/support/notes-database.js';
import { ENGINES } from '../../test/support/test-database.js';
import { insertRow, insertRows } from './insert-rows.js';

const UNUSUAL = 'it\'s a "title" with $1, ? and 🎉';

describe.each(ENGINES)('insertRows and insertRow on %s', (engine) => {
  let notes: NotesDatabase;
  let kysely: Kysely<NotesTables>;

  beforeAll(async () => {
    notes = await openNotesDatabase(engine);
    kysely = notes.kysely;
  });
  afterAll(() => notes?.close());
  afterEach(async () => {
    vi.restoreAllMocks();
    await kysely.deleteFrom('notes').execute();
  });

  const stored = () => kysely.selectFrom('notes').selectAll().orderBy('id').execute();

  it('refuses an empty list of rows, naming the table', () => {
    expect(() => insertRows(kysely, 'notes', [])).toThrow('insertRows(notes): no rows');
  });

  it('writes every row, each value in its column, as one statement', async () => {
    const rows = [
      { id: 'a', title: UNUSUAL },
      { id: 'b', title: 'segundo' },
      { id: 'c', title: 'terceiro' },
    ];
    const compiled = insertRows(kysely, 'notes', rows).compile();
    if (engine === 'postgres') {
      expect(compiled.sql).toBe('insert into "notes" ("id", "title") select "id", "title" from json_populate_recordset(null::"notes", $1::json)');
      expect(compiled.parameters).toEqual([JSON.stringify(rows)]);
    } else {
      expect(compiled.sql).toBe('insert into "notes" ("id", "title") values (?, ?), (?, ?), (?, ?)');
      expect(compiled.parameters).toEqual(['a', UNUSUAL, 'b', 'segundo', 'c', 'terceiro']);
    }
    const result = await insertRows(kysely, 'notes', rows).executeTakeFirst();
    expect(result.numInsertedOrUpdatedRows).toBe(3n);
    expect(await stored()).toEqual(rows);
  });

  it('can be extended like any INSERT: a conflict skipped, the rows written returned', async () => {
    await insertRows(kysely, 'notes', [{ id: 'a', title: 'first' }]).execute();
    const written = await insertRows(kysely, 'notes', [
      { id: 'a', title: 'again' },
      { id: 'b', title: 'new' },
    ])
      .onConflict((c) => c.column('id').doNothing())
      .returning(['id', 'title'])
      .execute();
    expect(written).toEqual([{ id: 'b', title: 'new' }]);
    expect(await stored()).toEqual([
      { id: 'a', title: 'first' },
      { id: 'b', title: 'new' },
    ]);
  });

  it('runs inside a transaction and rolls back with it', async () => {
    await expect(
      notes.db.transaction(async (tx: Transaction<NotesTables>) => {
        await insertRows(tx, 'notes', [{ id: 'a', title: 'rolled back' }]).execute();
        throw new Error('the handler refused');
      }),
    ).rejects.toThrow('the handler refused');
    expect(await stored()).toEqual([]);
  });

  it('inserts one row through the statement compiled for its first row of the same columns', async () => {
    const compile = vi.spyOn(InsertQueryBuilder.prototype, 'compile');
    const execute = vi.spyOn(InsertQueryBuilder.prototype, 'execute');
    await insertRow(kysely, 'notes', { id: 'r1', title: UNUSUAL });
    await insertRow(kysely, 'notes', { id: 'r2', title: 'dois' });
    await insertRow(kysely, 'notes', { id: 'r3', title: 'três' });
    expect(compile).toHaveBeenCalledTimes(1);
    expect(execute).not.toHaveBeenCalled();
    expect(await stored()).toEqual([
      { id: 'r1', title: UNUSUAL },
      { id: 'r2', title: 'dois' },
      { id: 'r3', title: 'três' },
    ]);
  });

  it('builds the INSERT every time on a Kysely instance with plugins, which may rewrite it', async () => {
    const camel = kysely.withPlugin(new CamelCasePlugin());
    const execute = vi.spyOn(InsertQueryBuilder.prototype, 'execute');
    await insertRow(camel, 'notes', { id: 'p1', title: 'um' });
    await insertRow(camel, 'notes', { id: 'p2', title: 'dois' });
    expect(execute).toHaveBeenCalledTimes(2);
    expect(await stored()).toEqual([
      { id: 'p1', title: 'um' },
      { id: 'p2', title: 'dois' },
    ]);
  });

  it('builds the INSERT every time for a row holding an expression, and compiles the plain shape once', async () => {
    const execute = vi.spyOn(InsertQueryBuilder.prototype, 'execute');
    await insertRow(kysely, 'notes', { id: 'e1', title: sql<string>`upper(${'um'})` });
    await insertRow(kysely, 'notes', { id: 'e2', title: sql<string>`upper(${'dois'})` });
    expect(execute).toHaveBeenCalledTimes(2);
    expect(await stored()).toEqual([
      { id: 'e1', title: 'UM' },
      { id: 'e2', title: 'DOIS' },
    ]);
  });

  it('inside a write transaction, the row goes with the transaction and is rolled back with it', async () => {
    await insertRow(kysely, 'notes', { id: 'warm', title: 'compiles the shape' });
    await expect(
      notes.db.transaction(async (tx: Transaction<NotesTables>) => {
        await insertRow(tx, 'notes', { id: 't1', title: 'kept?' });
        await insertRow(tx, 'notes', { id: 'warm', title: 'a duplicate key' });
      }),
    ).rejects.toThrow(/unique|duplicate/i);
    expect(await stored()).toEqual([{ id: 'warm', title: 'compiles the shape' }]);
    await notes.db.transaction(async (tx: Transaction<NotesTables>) => insertRow(tx, 'notes', { id: 't2', title: 'committed' }));
    expect((await stored()).map((r) => r.id)).toEqual(['t2', 'warm']);
  });

  it('reports the error of a handle used after its transaction ended as a rejection', async () => {
    await insertRow(kysely, 'notes', { id: 'warm', title: 'compiles the shape' });
    let kept: Transaction<NotesTables> | undefined;
    await notes.db.transaction(async (tx: Transaction<NotesTables>) => {
      kept = tx;
    });
    await expect(insertRow(kept as Transaction<NotesTables>, 'notes', { id: 'late', title: 'too late' })).rejects.toThrow();
    expect((await stored()).map((r) => r.id)).toEqual(['warm']);
  });
});

describe('insertRow across engines and shapes', () => {
  let sqlite: NotesDatabase;
  let postgres: NotesDatabase;

  beforeAll(async () => {
    [sqlite, postgres] = await Promise.all([openNotesDatabase('sqlite'), openNotesDatabase('postgres')]);
  });
  afterAll(async () => {
    await sqlite?.close();
    await postgres?.close();
  });
  afterEach(() => vi.restoreAllMocks());

  it('keeps the statement of each engine apart for the same table and columns', async () => {
    for (const id of ['1', '2']) {
      await insertRow(sqlite.kysely, 'notes', { id, title: `sqlite ${id}` });
      await insertRow(postgres.kysely, 'notes', { id, title: `postgres ${id}` });
    }
    expect(await sqlite.kysely.selectFrom('notes').select('title').orderBy('id').execute()).toEqual([{ title: 'sqlite 1' }, { title: 'sqlite 2' }]);
    expect(await postgres.kysely.selectFrom('notes').select('title').orderBy('id').execute()).toEqual([{ title: 'postgres 1' }, { title: 'postgres 2' }]);
  });

  it('forgets the statements it keeps once it holds 500 of them, and compiles a shape again after that', async () => {
    const kysely = sqlite.kysely as unknown as Kysely<Record<string, { id: string }>>;
    await insertRow(kysely, 'notes', { id: 'first', title: 'kept at first' } as never);
    const compile = vi.spyOn(InsertQueryBuilder.prototype, 'compile');
    // 500 more shapes (each a table of its own) cannot all be kept with the first one.
    for (let i = 0; i < 500; i++) await insertRow(kysely, `missing_${i}`, { id: 'x' }).catch(() => undefined);
    expect(compile).toHaveBeenCalledTimes(500);
    await insertRow(kysely, 'notes', { id: 'again', title: 'compiled again' } as never);
    expect(compile).toHaveBeenCalledTimes(501);
    await insertRow(kysely, 'notes', { id: 'third', title: 'kept again' } as never);
    expect(compile).toHaveBeenCalledTimes(501);
  });

  /** SQLite through a compiler that writes numbers into the SQL, and sends booleans as 1 or 0. */
  function rewritingSqlite<DB>(): Kysely<DB> {
    class RewritingCompiler extends SqliteQueryCompiler {
      protected override appendValue(value: unknown): void {
        if (typeof value === 'number') this.append(String(value));
        else super.appendValue(typeof value === 'boolean' ? Number(value) : value);
      }
    }
    class RewritingDialect extends SqliteDialect {
      override createQueryCompiler() {
        return new RewritingCompiler();
      }
    }
    return new Kysely<DB>({ dialect: new RewritingDialect({ database: new SqliteDatabase(':memory:') }) });
  }

  it('builds the INSERT every time when the dialect writes a value into the SQL instead of a parameter', async () => {
    const db = rewritingSqlite<{ counters: { name: string; total: number } }>();
    try {
      await db.schema.createTable('counters').addColumn('name', 'text').addColumn('total', 'integer').execute();
      const execute = vi.spyOn(InsertQueryBuilder.prototype, 'execute');
      await insertRow(db, 'counters', { name: 'a', total: 1 });
      await insertRow(db, 'counters', { name: 'b', total: 2 });
      await insertRow(db, 'counters', { name: 'c', total: 3 });
      expect(execute).toHaveBeenCalledTimes(2);
      expect(await db.selectFrom('counters').selectAll().orderBy('name').execute()).toEqual([
        { name: 'a', total: 1 },
        { name: 'b', total: 2 },
        { name: 'c', total: 3 },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('builds the INSERT every time when the dialect sends a value other than the one given', async () => {
    const db = rewritingSqlite<{ flags: { name: string; on: boolean } }>();
    try {
      await db.schema.createTable('flags').addColumn('name', 'text').addColumn('on', 'integer').execute();
      await insertRow(db, 'flags', { name: 'a', on: true });
      await insertRow(db, 'flags', { name: 'b', on: false });
      expect(await db.selectFrom('flags').selectAll().orderBy('name').execute()).toEqual([
        { name: 'a', on: 1 },
        { name: 'b', on: 0 },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('keeps one statement per set of columns, however their names would run together', async () => {
    const db = new Kysely<{ cells: { a?: string; ab?: string; bc?: string; c?: string } }>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
    });
    try {
      let table = db.schema.createTable('cells');
      for (const column of ['a', 'ab', 'bc', 'c']) table = table.addColumn(column, 'text');
      await table.execute();
      await insertRow(db, 'cells', { ab: '1', c: '2' });
      await insertRow(db, 'cells', { a: '3', bc: '4' });
      expect(await db.selectFrom('cells').selectAll().orderBy('ab').execute()).toEqual([
        { a: '3', ab: null, bc: '4', c: null },
        { a: null, ab: '1', bc: null, c: '2' },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('keeps the statements of several shapes at once: inserts alternating between two compile each once', async () => {
    const kysely = sqlite.kysely as unknown as Kysely<Record<string, { id: string; title?: string }>>;
    await sql`create table if not exists alternating (id text primary key, title text)`.execute(kysely);
    const compile = vi.spyOn(InsertQueryBuilder.prototype, 'compile');
    for (const id of ['1', '2', '3']) {
      await insertRow(kysely, 'alternating', { id: `only-${id}` });
      await insertRow(kysely, 'alternating', { id: `both-${id}`, title: id });
    }
    expect(compile).toHaveBeenCalledTimes(2);
    expect(await kysely.selectFrom('alternating').select('id').orderBy('id').execute()).toHaveLength(6);
  });

  it('builds the INSERT every time for a value given as a function of the expression builder', async () => {
    const kysely = sqlite.kysely;
    const execute = vi.spyOn(InsertQueryBuilder.prototype, 'execute');
    await insertRow(kysely, 'notes', { id: 'f1', title: (eb) => eb.fn<string>('upper', [eb.val('um')]) });
    await insertRow(kysely, 'notes', { id: 'f2', title: (eb) => eb.fn<string>('upper', [eb.val('dois')]) });
    expect(execute).toHaveBeenCalledTimes(2);
    expect(await kysely.selectFrom('notes').select('title').where('id', 'in', ['f1', 'f2']).orderBy('id').execute()).toEqual([
      { title: 'UM' },
      { title: 'DOIS' },
    ]);
  });

  it('reuses the statement for binary data, a value that is an object but no expression', async () => {
    const kysely = sqlite.kysely as unknown as Kysely<Record<string, { id: string; data: Buffer }>>;
    await sql`create table if not exists blobs (id text primary key, data blob)`.execute(kysely);
    const execute = vi.spyOn(InsertQueryBuilder.prototype, 'execute');
    await insertRow(kysely, 'blobs', { id: 'b1', data: Buffer.from('um') });
    await insertRow(kysely, 'blobs', { id: 'b2', data: Buffer.from('dois') });
    expect(execute).not.toHaveBeenCalled();
    expect((await kysely.selectFrom('blobs').selectAll().orderBy('id').execute()).map((r) => r.data.toString())).toEqual(['um', 'dois']);
  });
});
