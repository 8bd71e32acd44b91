import { Migrator, type Migration, type MigrationResult } from 'kysely/migration';
import type { Database } from './database.js';
import { DatabaseError } from './database.errors.js';

/** A named, ordered set of migrations owned by one module (or the core). */
export type MigrationSet = Record<string, Migration>;

/** Table holding the one lock all migrators share, so two instances never migrate at once. */
export const MIGRATION_LOCK_TABLE = 'robusto_migration_lock';

/** Where the applied migrations of `owner` are recorded: one table per module, so a failing module never blocks another's history. */
export function migrationTableOf(owner: string): string {
  return `robusto_migrations_${owner}`;
}

function migratorFor(db: Pick<Database, 'kysely'>, owner: string, migrations: MigrationSet): Migrator {
  return new Migrator({
    db: db.kysely,
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

/**
 * Applies the pending migrations of one owner with Kysely's Migrator, in name order. Returns the
 * names applied now (empty when up to date).
 *
 * @throws {MigrationError} naming the migration that failed.
 */
export async function migrateOwner(db: Pick<Database, 'kysely'>, owner: string, migrations: MigrationSet): Promise<string[]> {
  if (Object.keys(migrations).length === 0) return [];
  const { error, results } = await migratorFor(db, owner, migrations).migrateToLatest();
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
  const infos = await migratorFor(db, owner, migrations).getMigrations();
  return infos.map((info) => ({ owner, name: info.name, appliedAt: info.executedAt }));
}
