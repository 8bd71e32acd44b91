import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, SQLITE_BUSY_TIMEOUT_MS } from './sqlite.js';

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
});
