// The PostgreSQL dialect robusto uses: each transaction sets its own statement timeout, and the
// migration lock lasts exactly as long as the migration's transaction, so both hold behind a
// transaction pooler.
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { lockMigrations, RobustoPostgresDialect, setLocalStatementTimeout } from './postgres-dialect.js';

const MIGRATION_LOCK_KEY = '3853314791062309107';

describe('setLocalStatementTimeout', () => {
  it('sets the timeout of the transaction it runs in', () => {
    expect(setLocalStatementTimeout(1)).toBe('set local statement_timeout = 1');
    expect(setLocalStatementTimeout(30_000)).toBe('set local statement_timeout = 30000');
  });

  it.each([0, -5, 1.5, Number.NaN, 2 ** 53])('refuses %s, which is not a whole number of milliseconds from 1', (ms) => {
    expect(() => setLocalStatementTimeout(ms)).toThrow(RangeError);
    expect(() => setLocalStatementTimeout(ms)).toThrow(`the statement timeout must be a whole number of milliseconds, got ${ms}`);
  });
});

describe('RobustoPostgresDialect', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Kysely<unknown>;
  let other: pg.Client;

  /** Whether another session could take the migration lock now. */
  const lockIsFree = async (): Promise<boolean> => {
    const { rows } = await other.query<{ taken: boolean }>(`select pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) as taken`);
    if (rows[0]?.taken) await other.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    return rows[0]?.taken === true;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = new Kysely<unknown>({ dialect: new RobustoPostgresDialect({ pool }, 4_321) });
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await db?.destroy();
    await database?.drop();
  });

  const statementTimeout = async (on: Kysely<unknown>) =>
    (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(on)).rows[0]?.statement_timeout;

  it("sets the statement timeout inside each of Kysely's transactions, and only there", async () => {
    expect(await db.transaction().execute((trx) => statementTimeout(trx))).toBe('4321ms');
    expect(await statementTimeout(db)).toBe('0');
  });

  it('holds the migration lock for the transaction that took it, and the COMMIT or ROLLBACK releases it', async () => {
    await db.transaction().execute(async (trx) => {
      await lockMigrations(trx);
      expect(await lockIsFree()).toBe(false);
    });
    expect(await lockIsFree()).toBe(true);
    await db
      .transaction()
      .execute(async (trx) => {
        await lockMigrations(trx);
        throw new Error('the migration failed');
      })
      .catch(() => undefined);
    expect(await lockIsFree()).toBe(true);
  });

  it('refuses to take the migration lock outside a transaction, where it would end with the statement', async () => {
    await expect(lockMigrations(db)).rejects.toThrow('the PostgreSQL migration lock is held by a transaction: run the migrator inside one');
  });

  it("takes the lock through the adapter Kysely's migrator calls, and leaves its release to the transaction", async () => {
    const adapter = db.getExecutor().adapter;
    await db.transaction().execute(async (trx) => {
      await adapter.acquireMigrationLock(trx, { lockTable: 'unused', lockRowId: 'unused', lockTableSchema: undefined });
      await adapter.releaseMigrationLock(trx, { lockTable: 'unused', lockRowId: 'unused', lockTableSchema: undefined });
      expect(await lockIsFree()).toBe(false);
    });
    expect(await lockIsFree()).toBe(true);
  });
});
