import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledOnce } from './compiled-once.js';

interface Tables {
  people: { id: string; name: string; age: number };
}

type Filters = { minAge: number; name: string | undefined };

describe('CompiledOnce', () => {
  let db: Kysely<Tables>;
  let built = 0;
  const people = new CompiledOnce((k: Kysely<Tables>, f: Filters, shape: string) => {
    built++;
    let query = k.selectFrom('people').select(['id', 'name']).where('age', '>=', f.minAge);
    if (f.name !== undefined) query = query.where('name', '=', f.name);
    return query.orderBy('id', shape === 'desc' ? 'desc' : 'asc');
  });

  beforeAll(async () => {
    db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    await db.schema.createTable('people').addColumn('id', 'text').addColumn('name', 'text').addColumn('age', 'integer').execute();
    await db
      .insertInto('people')
      .values([
        { id: 'a', name: 'Ana', age: 30 },
        { id: 'b', name: 'Bia', age: 17 },
        { id: 'c', name: 'Caio', age: 45 },
      ])
      .execute();
  });
  afterAll(() => db.destroy());

  const ids = async (shape: string, f: Filters) => (await db.executeQuery<{ id: string }>(people.compiled(db, shape, f))).rows.map((r) => r.id);

  it('builds each shape once and binds each request its own values', async () => {
    built = 0;
    expect(await ids('asc', { minAge: 18, name: undefined })).toEqual(['a', 'c']);
    expect(await ids('asc', { minAge: 40, name: undefined })).toEqual(['c']);
    expect(await ids('asc', { minAge: 0, name: undefined })).toEqual(['a', 'b', 'c']);
    expect(built).toBe(1);
    // Another sort order, and a filter present, are other shapes.
    expect(await ids('desc', { minAge: 18, name: undefined })).toEqual(['c', 'a']);
    expect(await ids('asc', { minAge: 18, name: 'Ana' })).toEqual(['a']);
    expect(await ids('asc', { minAge: 18, name: 'Bia' })).toEqual([]);
    expect(built).toBe(3);
  });

  it('compiles for each database its own SQL', () => {
    const postgres = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });
    expect(people.compiled(postgres, 'asc', { minAge: 18, name: 'Ana' })).toMatchObject({
      sql: 'select "id", "name" from "people" where "age" >= $1 and "name" = $2 order by "id" asc',
      parameters: [18, 'Ana'],
    });
    expect(people.compiled(db, 'asc', { minAge: 18, name: 'Ana' })).toMatchObject({
      sql: 'select "id", "name" from "people" where "age" >= ? and "name" = ? order by "id" asc',
      parameters: [18, 'Ana'],
    });
  });

  it('refuses a query that works on a value instead of passing it as it is, naming the value', () => {
    const worked = new CompiledOnce((k: Kysely<Tables>, f: { name: string }) => k.selectFrom('people').selectAll().where('name', 'like', `${f.name}%`));
    expect(() => worked.compiled(db, 'any', { name: 'An' })).toThrow(/value\(s\) name not put into the query as parameters/);
    const dropped = new CompiledOnce((k: Kysely<Tables>, f: { name: string }) => k.selectFrom('people').selectAll().where('name', '=', f.name.trim()));
    expect(() => dropped.compiled(db, 'any', { name: 'Ana' })).toThrow(/name not put into the query/);
  });

  it('names every value it lost, and keeps the constants the query holds as they were built', async () => {
    const both = new CompiledOnce((k: Kysely<Tables>, f: { name: string; id: string }) =>
      k.selectFrom('people').selectAll().where('name', 'like', `${f.name}%`).where('id', '=', `${f.id}!`),
    );
    expect(() => both.compiled(db, 'any', { name: 'An', id: 'a' })).toThrow(/value\(s\) name, id not put into the query/);
    const limited = new CompiledOnce((k: Kysely<Tables>, f: { minAge: number }) =>
      k.selectFrom('people').select('id').where('age', '>=', f.minAge).orderBy('id').limit(1),
    );
    const query = limited.compiled(db, 'limited', { minAge: 0 });
    expect(query.parameters).toEqual([0, 1]);
    expect((await db.executeQuery<{ id: string }>(query)).rows).toEqual([{ id: 'a' }]);
  });
});
