import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../shared/cursor.js';
import { KeysetList, orderOf, type KeysetOrder } from './keyset.js';

describe('orderOf', () => {
  it('sorts by name on the searchable column, as text', () => {
    expect(orderOf('name')).toEqual({ column: 'name_search', descending: false, kind: 'text' });
    expect(orderOf('-name')).toEqual({ column: 'name_search', descending: true, kind: 'text' });
  });

  it('sorts by creation on created_at, as a timestamp', () => {
    expect(orderOf('createdAt')).toEqual({ column: 'created_at', descending: false, kind: 'timestamp' });
    expect(orderOf('-createdAt')).toEqual({ column: 'created_at', descending: true, kind: 'timestamp' });
  });
});

interface Row {
  id: string;
  name_search: string;
  created_at: string;
}

describe('KeysetList', () => {
  let kysely: Kysely<{ items: Row }>;
  const items = new KeysetList((db: Kysely<{ items: Row }>) => db.selectFrom('items').selectAll());
  // Two rows share a name, so the id breaks the tie.
  const rows: Row[] = [
    { id: 'a0000000-0000-4000-8000-000000000001', name_search: 'ana', created_at: '2026-01-01T00:00:03.000Z' },
    { id: 'a0000000-0000-4000-8000-000000000002', name_search: 'bia', created_at: '2026-01-01T00:00:01.000Z' },
    { id: 'a0000000-0000-4000-8000-000000000003', name_search: 'bia', created_at: '2026-01-01T00:00:02.000Z' },
    { id: 'a0000000-0000-4000-8000-000000000004', name_search: 'caio', created_at: '2026-01-01T00:00:05.000Z' },
    { id: 'a0000000-0000-4000-8000-000000000005', name_search: 'davi', created_at: '2026-01-01T00:00:04.000Z' },
  ];

  beforeAll(async () => {
    kysely = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    await kysely.schema.createTable('items').addColumn('id', 'text').addColumn('name_search', 'text').addColumn('created_at', 'text').execute();
    await kysely.insertInto('items').values(rows).execute();
  });

  afterAll(() => kysely.destroy());

  /** Every page of the list, `limit` rows at a time: the ids of each page, and its cursor. */
  async function allPages(order: KeysetOrder, limit: number) {
    const pages: Array<{ ids: string[]; nextCursor: string | null }> = [];
    let cursor: string | undefined;
    do {
      const page = await items.page(kysely, {}, { order, limit, cursor }, (row) => row.id.slice(-1));
      pages.push({ ids: page.items, nextCursor: page.nextCursor });
      cursor = page.nextCursor ?? undefined;
    } while (cursor && pages.length < 10);
    return pages.map((p) => p.ids);
  }

  it('walks a list in order, ties broken by id, without skipping or repeating a row', async () => {
    expect(await allPages(orderOf('name'), 2)).toEqual([['1', '2'], ['3', '4'], ['5']]);
    expect(await allPages(orderOf('-name'), 2)).toEqual([['5', '4'], ['3', '2'], ['1']]);
    expect(await allPages(orderOf('createdAt'), 3)).toEqual([
      ['2', '3', '1'],
      ['5', '4'],
    ]);
    expect(await allPages(orderOf('-createdAt'), 3)).toEqual([
      ['4', '5', '1'],
      ['3', '2'],
    ]);
  });

  it('has no next cursor on a last page that is exactly full', async () => {
    const page = await items.page(kysely, {}, { order: orderOf('name'), limit: 5, cursor: undefined }, (row) => row.id);
    expect(page.items).toHaveLength(5);
    expect(page.nextCursor).toBeNull();
    const short = await items.page(kysely, {}, { order: orderOf('name'), limit: 4, cursor: undefined }, (row) => row.id);
    expect(short.items).toHaveLength(4);
    expect(short.nextCursor).toEqual(expect.any(String));
  });

  it('reads a cursor whose id was sent in upper case', async () => {
    const first = await items.page(kysely, {}, { order: orderOf('name'), limit: 2, cursor: undefined }, (row) => row.id);
    const [value, id] = JSON.parse(Buffer.from(first.nextCursor!, 'base64url').toString('utf8')) as [string, string];
    const upper = encodeCursor({ value, id: id.toUpperCase() });
    const second = await items.page(kysely, {}, { order: orderOf('name'), limit: 2, cursor: upper }, (row) => row.id.slice(-1));
    expect(second.items).toEqual(['3', '4']);
  });
});
