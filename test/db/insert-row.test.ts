// insertRow reuses the SQL Kysely compiled for the first row of a table and set of columns. These
// checks make sure the reused statement writes exactly what the query builder would have: every
// value in its own column, missing (undefined) columns left to their defaults, expressions kept.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InsertQueryBuilder, Kysely, sql, type CompiledQuery, type Generated } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgres } from '../../src/db/dialects/postgres.js';
import { openSqlite } from '../../src/db/dialects/sqlite.js';
import { insertRow } from '../../src/db/insert-rows.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/test-database.js';

interface Tables {
  notes: { id: string; title: string; body: string | null; priority: Generated<number>; created_at: string };
}

const POOL = { max: 2, statementTimeoutMs: 5_000, writeDeadlineMs: 1_000, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000, maxLifetimeSeconds: 60 };

describe.each(ENGINES)('insertRow on %s', (engine) => {
  let database: TestDatabase | undefined;
  let dir: string | undefined;
  let db: Kysely<Tables>;
  const statements: CompiledQuery[] = [];

  beforeAll(async () => {
    let dialect;
    if (engine === 'postgres') {
      database = await createTestDatabase();
      dialect = openPostgres(database.url, POOL, () => undefined).dialect;
    } else {
      dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-insert-row-'));
      dialect = openSqlite(path.join(dir, 'test.db')).dialect;
    }
    db = new Kysely<Tables>({ dialect, log: (event) => void statements.push(event.query) });
    await db.schema
      .createTable('notes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text')
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(3))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = () => db.selectFrom('notes').selectAll().orderBy('id').execute();

  it('writes each row like the query builder, reusing the first statement for the same columns', async () => {
    statements.length = 0;
    await insertRow(db, 'notes', { id: 'a', title: 'first', body: 'one', priority: 1, created_at: '2026-01-01' });
    await insertRow(db, 'notes', { id: 'b', title: 'second', body: null, priority: 2, created_at: '2026-01-02' });
    // Same columns in another order: another statement, still each value in its column.
    await insertRow(db, 'notes', { created_at: '2026-01-03', priority: 5, body: 'three', title: 'third', id: 'c' });
    expect(await rows()).toEqual([
      { id: 'a', title: 'first', body: 'one', priority: 1, created_at: '2026-01-01' },
      { id: 'b', title: 'second', body: null, priority: 2, created_at: '2026-01-02' },
      { id: 'c', title: 'third', body: 'three', priority: 5, created_at: '2026-01-03' },
    ]);
    const inserts = statements.filter((s) => /^insert/i.test(s.sql));
    expect(inserts).toHaveLength(3);
    expect(inserts[1]?.sql).toBe(inserts[0]?.sql);
    expect(inserts[1]?.parameters).toEqual(['b', 'second', null, 2, '2026-01-02']);
  });

  it('leaves out undefined columns (their default applies) and keeps expressions as SQL', async () => {
    await insertRow(db, 'notes', { id: 'd', title: 'defaults', body: undefined, priority: undefined, created_at: '2026-01-04' });
    await insertRow(db, 'notes', { id: 'e', title: 'defaults again', created_at: '2026-01-05' });
    await insertRow(db, 'notes', { id: 'f', title: sql<string>`upper(${'expr'})`, priority: 7, created_at: '2026-01-06' });
    await insertRow(db, 'notes', { id: 'g', title: sql<string>`lower(${'EXPR'})`, priority: 8, created_at: '2026-01-07' });
    const byId = Object.fromEntries((await rows()).map((r) => [r.id, r]));
    expect(byId.d).toEqual({ id: 'd', title: 'defaults', body: null, priority: 3, created_at: '2026-01-04' });
    expect(byId.e).toEqual({ id: 'e', title: 'defaults again', body: null, priority: 3, created_at: '2026-01-05' });
    expect(byId.f).toMatchObject({ title: 'EXPR', priority: 7 });
    expect(byId.g).toMatchObject({ title: 'expr', priority: 8 });
  });

  it('builds and compiles a table and set of columns once; later rows only bind their values', async () => {
    const compile = vi.spyOn(InsertQueryBuilder.prototype, 'compile');
    try {
      await insertRow(db, 'notes', { id: 'h1', title: 'once', body: 'x', created_at: '2026-02-01' });
      await insertRow(db, 'notes', { id: 'h2', title: 'twice', body: 'y', created_at: '2026-02-02' });
      await insertRow(db, 'notes', { id: 'h3', title: 'thrice', body: 'z', created_at: '2026-02-03' });
      expect(compile).toHaveBeenCalledTimes(1);
    } finally {
      compile.mockRestore();
    }
    const byId = Object.fromEntries((await rows()).map((r) => [r.id, r]));
    expect(byId.h3).toEqual({ id: 'h3', title: 'thrice', body: 'z', priority: 3, created_at: '2026-02-03' });
  });

  it('reports a constraint violation of a reused statement like any other', async () => {
    await expect(insertRow(db, 'notes', { id: 'a', title: 'duplicate', body: null, priority: 1, created_at: '2026-01-08' })).rejects.toThrow(
      /unique|duplicate/i,
    );
  });
});
