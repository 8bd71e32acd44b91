import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResult, type MigrationResultSet } from 'kysely/migration';
import type { Database } from './database.js';
import { DatabaseError } from './database.errors.js';
import { lockMigrations } from './dialects/postgres-dialect.js';

/** A named, ordered set of migrations owned by one module (or the core). */
export type MigrationSet = Record<string, Migration>;

/** Table Kysely's migrator keeps its lock row in (PostgreSQL's migration lock is an advisory lock: see `lockMigrations`). */
export const MIGRATION_LOCK_TABLE = 'robusto_migration_lock';

/** Where the applied migrations of `owner` are recorded: one table per module, so a failing module never blocks another's history. */
export function migrationTableOf(owner: string): string {
  return `robusto_migrations_${owner}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
function migratorFor(kysely: Kysely<any>, owner: string, migrations: MigrationSet): Migrator {
  return new Migrator({
    db: kysely,
    provider: { getMigrations: async () => migrations },
    migrationTableName: migrationTableOf(owner),
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

/**
 * Thrown when a migration fails. Names the owner and the migration; the database's own error is
 * the `cause`. The failed migration's transaction was rolled back (PostgreSQL; SQLite DDL too).
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code = DatabaseError.MIGRATION_FAILED;

  constructor(
    readonly owner: string,
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    super(`migration ${owner}/${migration ?? '?'} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Thrown inside a migration's transaction to roll it back; never leaves {@link migrateInTransaction}. */
const ROLL_BACK = new Error('a migration failed: roll its transaction back');

/**
 * Runs the migrator on PostgreSQL inside one transaction that first takes the migration lock
 * (see `lockMigrations`), so that the lock, the migrator's own tables and the migrations live
 * and die together on one server connection, directly or behind a transaction pooler; two
 * instances starting at once take turns, the second finding nothing left to apply. A failed
 * migration rolls back everything this run applied.
 */
async function migrateInTransaction(db: Pick<Database, 'kysely'>, owner: string, migrations: MigrationSet): Promise<MigrationResultSet> {
  let outcome: MigrationResultSet = {};
  try {
    await db.kysely.transaction().execute(async (trx) => {
      await lockMigrations(trx);
      outcome = await migratorFor(trx, owner, migrations).migrateToLatest();
      // The migrator reports a failure instead of throwing it: throwing here rolls back.
      if (outcome.error !== undefined) throw ROLL_BACK;
    });
  } catch (error) {
    return outcome.error === undefined ? { error } : outcome;
  }
  return outcome;
}

/**
 * Applies the pending migrations of one owner with Kysely's Migrator, in name order. Returns the
 * names applied now (empty when up to date).
 *
 * @throws {MigrationError} naming the migration that failed.
 */
export async function migrateOwner(db: Pick<Database, 'engine' | 'kysely'>, owner: string, migrations: MigrationSet): Promise<string[]> {
  if (Object.keys(migrations).length === 0) return [];
  const { error, results } =
    db.engine === 'postgres' ? await migrateInTransaction(db, owner, migrations) : await migratorFor(db.kysely, owner, migrations).migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error');
    throw new MigrationError(owner, failed?.migrationName, error);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** One migration's state, for `robusto migrate --status` and `doctor`. */
export interface MigrationState {
  owner: string;
  name: string;
  appliedAt: Date | undefined;
}

/** Lists the migrations of one owner, applied (with when) and pending. */
export async function migrationStatus(db: Database, owner: string, migrations: MigrationSet): Promise<MigrationState[]> {
  if (Object.keys(migrations).length === 0) return [];
  const infos = await migratorFor(db.kysely, owner, migrations).getMigrations();
  return infos.map((info) => ({ owner, name: info.name, appliedAt: info.executedAt }));
}
