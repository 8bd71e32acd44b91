// The engine-independent helpers of src/db, on an in-memory SQLite database.
import SqliteDatabase from 'better-sqlite3';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect, sql, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseStalledError } from './database-stalled.js';
import { DatabaseError } from './database.errors.js';
import { likeEscaped } from './like.js';
import { keepPrivate } from './private-file.js';
import { isPostgres, sqlTypes } from './sql-types.js';
import { updateIfVersion } from './versioned-update.js';

interface Tables {
  notes: { tenant_id: string; id: string; title: string; version: number };
}

describe('on SQLite', () => {
  let kysely: Kysely<Tables>;

  beforeEach(async () => {
    kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    await kysely.schema
      .createTable('notes')
      .addColumn('tenant_id', 'text')
      .addColumn('id', 'text')
      .addColumn('title', 'text')
      .addColumn('version', 'integer')
      .execute();
    await kysely
      .insertInto('notes')
      .values([
        { tenant_id: 't1', id: 'n1', title: '50% off', version: 1 },
        { tenant_id: 't1', id: 'n2', title: '500 units', version: 1 },
        { tenant_id: 't2', id: 'n1', title: 'a_b', version: 1 },
        { tenant_id: 't2', id: 'n3', title: 'axb', version: 1 },
      ])
      .execute();
  });

  afterEach(() => kysely.destroy());

  it('updateIfVersion changes the row only at the version the client read, in its tenant', async () => {
    expect(await updateIfVersion(kysely, 'notes', { tenantId: 't1', id: 'n1', version: 2 }, { title: 'x', version: 3 })).toBe(false);
    expect(await updateIfVersion(kysely, 'notes', { tenantId: 't3', id: 'n1', version: 1 }, { title: 'x', version: 2 })).toBe(false);
    expect(await updateIfVersion(kysely, 'notes', { tenantId: 't1', id: 'n9', version: 1 }, { title: 'x', version: 2 })).toBe(false);
    expect(await updateIfVersion(kysely, 'notes', { tenantId: 't1', id: 'n1', version: 1 }, { title: 'x', version: 2 })).toBe(true);
    const rows = await kysely.selectFrom('notes').select(['tenant_id', 'id', 'title', 'version']).orderBy('tenant_id').orderBy('id').execute();
    expect(rows).toEqual([
      { tenant_id: 't1', id: 'n1', title: 'x', version: 2 },
      { tenant_id: 't1', id: 'n2', title: '500 units', version: 1 },
      { tenant_id: 't2', id: 'n1', title: 'a_b', version: 1 },
      { tenant_id: 't2', id: 'n3', title: 'axb', version: 1 },
    ]);
  });

  it('likeEscaped matches % and _ literally once escaped, on a column name or an expression', async () => {
    const titles = async (where: ReturnType<typeof likeEscaped>) =>
      (await kysely.selectFrom('notes').select('title').where(where).orderBy('title').execute()).map((r) => r.title);
    expect(await titles(likeEscaped('title', '50\\%%'))).toEqual(['50% off']);
    expect(await titles(likeEscaped('title', 'a\\_b'))).toEqual(['a_b']);
    expect(await titles(likeEscaped('title', 'a_b'))).toEqual(['a_b', 'axb']);
    expect(await titles(likeEscaped(sql.ref('title'), '50%'))).toEqual(['50% off', '500 units']);
  });

  it('sqlTypes gives text columns on SQLite and native types on PostgreSQL', () => {
    expect(isPostgres(kysely)).toBe(false);
    expect(sqlTypes(kysely)).toEqual({ id: 'text', timestamp: 'text', date: 'text' });
    const pg = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: {} as never }) });
    expect(isPostgres(pg)).toBe(true);
    expect(sqlTypes(pg)).toEqual({ id: 'uuid', timestamp: 'timestamptz', date: 'date' });
  });
});

describe('keepPrivate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-private-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file readable by its owner only, and makes its companions so', () => {
    const file = path.join(dir, 'robusto.db');
    for (const suffix of ['-wal', '-shm']) {
      writeFileSync(file + suffix, '');
      chmodSync(file + suffix, 0o644);
    }
    keepPrivate(file);
    for (const suffix of ['', '-wal', '-shm']) expect(statSync(file + suffix).mode & 0o777).toBe(0o600);
  });

  it('keeps what an existing file holds', () => {
    const file = path.join(dir, 'robusto.db');
    writeFileSync(file, 'data');
    chmodSync(file, 0o666);
    keepPrivate(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).size).toBe(4);
  });
});

describe('DatabaseStalledError', () => {
  it('carries its name and code', () => {
    const error = new DatabaseStalledError('no answer for 1000 ms');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'DatabaseStalledError', code: DatabaseError.STALLED, message: 'no answer for 1000 ms' });
    expect(DatabaseError.STALLED).toBe('ERR_DATABASE_STALLED');
  });
});
