import { Kysely } from 'kysely';
import { migrateOwner, type MigrationSet } from '../../db/migrate.js';
import { coreMigrations } from '../../db/migrations/core.migrations.js';
import { openSqlite } from '../../db/dialects/sqlite.js';
import type { ModuleDefinition, ModuleSource } from '../../modules/module.js';
import { dataTables } from './catalog.js';

/** The migrations of the core and of every module of `sources` that imports, by owner. */
async function migrationSets(sources: readonly ModuleSource[]): Promise<Map<string, MigrationSet>> {
  const sets = new Map<string, MigrationSet>([['core', coreMigrations]]);
  for (const source of sources) {
    try {
      const exported = (await source.load()) as { default?: Partial<ModuleDefinition>; module?: Partial<ModuleDefinition> } | undefined;
      const definition = exported?.default ?? exported?.module;
      if (typeof definition?.name === 'string' && definition.migrations && !sets.has(definition.name)) sets.set(definition.name, definition.migrations);
    } catch {
      // A module that does not import has no known migrations: a backup naming them is reported as such.
    }
  }
  return sets;
}

/**
 * The data tables the schema version `migrations` (a manifest's: the migrations applied, per
 * owner) has, as this robusto's code defines them: exactly those migrations are applied to a
 * throwaway in-memory SQLite database, whose tables are then read. The manifest says which
 * version; the code, never the manifest, says which tables that version has.
 *
 * @returns the table names, sorted; or `unknown`, the migrations this code does not have (a
 *   newer robusto's, or a module not installed here), whose tables cannot be known.
 */
export async function schemaTables(
  migrations: Record<string, string[]>,
  sources: readonly ModuleSource[],
): Promise<{ tables: string[] } | { unknown: string[] }> {
  const sets = await migrationSets(sources);
  const unknown = Object.entries(migrations).flatMap(([owner, names]) =>
    (Array.isArray(names) ? names : []).filter((name) => !Object.hasOwn(sets.get(owner) ?? {}, name)).map((name) => `${owner}/${name}`),
  );
  if (unknown.length > 0) return { unknown };
  const handle = openSqlite(':memory:');
  const kysely = new Kysely<unknown>({ dialect: handle.dialect });
  try {
    const db = { engine: 'sqlite' as const, kysely };
    // The core first, as every installation migrates it.
    const owners = Object.keys(migrations).sort((a, b) => (a === 'core' ? -1 : b === 'core' ? 1 : 0));
    for (const owner of owners) {
      const set = sets.get(owner) as MigrationSet;
      await migrateOwner(db, owner, Object.fromEntries((migrations[owner] ?? []).map((name) => [name, set[name] as MigrationSet[string]])));
    }
    return { tables: (await dataTables(db)).map((table) => table.name).sort() };
  } finally {
    await kysely.destroy();
  }
}
