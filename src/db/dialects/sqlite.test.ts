import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, SQLITE_BUSY_TIMEOUT_MS, SQLITE_STATEMENT_CACHE_MAX } from './sqlite.js';

describe('openSqlite', () => {
  let dir: string;
  let kysely: Kysely<unknown> | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-sqlite-'));
  });

  afterEach(async () => {
    await kysely?.destroy();
    kysely = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file and its directory, with the settings robusto relies on', () => {
    const handle = openSqlite(path.join(dir, 'nested', 'robusto.db'));
    try {
      expect(statSync(path.join(dir, 'nested', 'robusto.db')).isFile()).toBe(true);
      expect(handle.raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(handle.raw.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(handle.raw.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(handle.raw.pragma('busy_timeout', { simple: true })).toBe(SQLITE_BUSY_TIMEOUT_MS);
    } finally {
      handle.raw.close();
    }
  });

  it('counts the one connection as in use while a transaction holds it', async () => {
    const handle = openSqlite(path.join(dir, 'robusto.db'));
    kysely = new Kysely({ dialect: handle.dialect });
    expect(handle.stats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const transaction = kysely.transaction().execute(async () => {
      entered();
      await held;
    });
    await inside;
    expect(handle.stats()).toEqual({ total: 1, idle: 0, waiting: 0, max: 1 });
    release();
    await transaction;
    expect(handle.stats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 1 });
    await sql`select 1`.execute(kysely);
    expect(handle.stats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 1 });
  });

  it('prepares a query once and reuses its statement, within a bounded number of statements', async () => {
    const handle = openSqlite(path.join(dir, 'robusto.db'));
    kysely = new Kysely({ dialect: handle.dialect });
    let prepared = 0;
    const prepare = handle.raw.prepare.bind(handle.raw);
    handle.raw.prepare = ((text: string) => {
      prepared++;
      return prepare(text);
    }) as typeof handle.raw.prepare;
    await sql`create table t (n integer)`.execute(kysely);
    for (let n = 0; n < 5; n++) await sql`insert into t (n) values (${n})`.execute(kysely);
    expect(prepared).toBe(2);
    const { rows } = await sql<{ total: number }>`select sum(n) as total from t where n >= ${1}`.execute(kysely);
    expect(rows).toEqual([{ total: 10 }]);
    // A migration that changes the table: the statement kept for it still sees the right columns.
    await sql`alter table t add column label text`.execute(kysely);
    await sql`insert into t (n) values (${9})`.execute(kysely);
    expect((await sql<{ n: number; label: null }>`select * from t where n = ${9}`.execute(kysely)).rows).toEqual([{ n: 9, label: null }]);
    prepared = 0;
    for (let n = 0; n < SQLITE_STATEMENT_CACHE_MAX + 10; n++) await sql.raw(`select ${n} as n`).execute(kysely);
    await sql.raw('select 0 as n').execute(kysely);
    // The oldest statements made room for the newest: the first one is prepared again.
    expect(prepared).toBe(SQLITE_STATEMENT_CACHE_MAX + 11);
  });
});
