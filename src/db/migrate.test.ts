import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from './database.js';
import { MIGRATION_LOCK_TABLE, MigrationError, migrateOwner, migrationStatus, migrationTableOf, type MigrationSet } from './migrate.js';

describe('migrateOwner', () => {
  let kysely: Kysely<unknown>;
  let db: Database;

  beforeEach(() => {
    kysely = new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    db = { kysely } as unknown as Database;
  });

  afterEach(() => kysely.destroy());

  const tables = async () =>
    (await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(kysely)).rows.map((r) => r.name);

  const migrations: MigrationSet = {
    '0001_a': { up: (k) => k.schema.createTable('a').addColumn('id', 'text').execute() },
    '0002_b': { up: (k) => k.schema.createTable('b').addColumn('id', 'text').execute() },
  };

  it('applies pending migrations in name order, into a history table of the owner', async () => {
    expect(await migrateOwner(db, 'notes', migrations)).toEqual(['0001_a', '0002_b']);
    expect(await migrateOwner(db, 'notes', migrations)).toEqual([]);
    expect(await tables()).toEqual(expect.arrayContaining(['a', 'b', 'robusto_migrations_notes', MIGRATION_LOCK_TABLE]));
    expect(migrationTableOf('notes')).toBe('robusto_migrations_notes');
    expect(MIGRATION_LOCK_TABLE).toBe('robusto_migration_lock');
  });

  it('does nothing at all for an owner without migrations', async () => {
    expect(await migrateOwner(db, 'empty', {})).toEqual([]);
    expect(await migrationStatus(db, 'empty', {})).toEqual([]);
    expect(await tables()).toEqual([]);
  });

  it('names the owner and the migration that failed, with the database error as cause', async () => {
    const failing: MigrationSet = { ...migrations, '0003_bad': { up: (k) => sql`create table a (id text)`.execute(k).then(() => undefined) } };
    const error = await migrateOwner(db, 'notes', failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ name: 'MigrationError', code: 'ERR_MIGRATION_FAILED', owner: 'notes', migration: '0003_bad' });
    expect((error as Error).message).toMatch(/^migration notes\/0003_bad failed: .*already exists/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('says "?" for a failure that names no migration, and prints a cause that is not an Error', () => {
    expect(new MigrationError('notes', undefined, 'lock timeout').message).toBe('migration notes/? failed: lock timeout');
  });

  it('lists applied migrations with when, and pending ones', async () => {
    await migrateOwner(db, 'notes', { '0001_a': migrations['0001_a']! });
    const status = await migrationStatus(db, 'notes', migrations);
    expect(status.map((s) => [s.owner, s.name, s.appliedAt instanceof Date])).toEqual([
      ['notes', '0001_a', true],
      ['notes', '0002_b', false],
    ]);
  });
});
