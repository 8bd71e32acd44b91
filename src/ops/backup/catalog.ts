import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** What the catalog reads of a database: its engine and a Kysely instance. */
type CatalogSource = Pick<Database, 'engine' | 'kysely'>;
import { MIGRATION_LOCK_TABLE, migrationTableOf } from '../../db/migrate.js';

/** A table a backup holds: its name, its primary key (to read it in pages) and the tables it references. */
export interface CatalogTable {
  name: string;
  primaryKey: string[];
  references: string[];
}

const MIGRATION_TABLE_PREFIX = migrationTableOf('');

/** The bookkeeping tables of migrations: not data; a backup records their content in its manifest instead. */
function isMigrationTable(name: string): boolean {
  return name === MIGRATION_LOCK_TABLE || name.startsWith(MIGRATION_TABLE_PREFIX);
}

/** The tables recording each owner's applied migrations (the core, each module). */
export async function migrationTables(db: CatalogSource): Promise<Array<{ table: string; owner: string }>> {
  return (await tableNames(db))
    .filter((name) => name.startsWith(MIGRATION_TABLE_PREFIX))
    .map((table) => ({ table, owner: table.slice(MIGRATION_TABLE_PREFIX.length) }));
}

/** The names of the database's tables, sorted here rather than by the database (the engines' collations differ). */
export async function tableNames(db: CatalogSource): Promise<string[]> {
  const rows =
    db.engine === 'postgres'
      ? await sql<{
          name: string;
        }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db.kysely)
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db.kysely);
  return rows.rows.map((r) => r.name).sort();
}

/**
 * The data tables of the database, each after the tables it references (so a restore can
 * insert them in this order). Read from the engine's own catalog: PostgreSQL's
 * `information_schema` for the current schema, SQLite's `sqlite_master` and pragmas.
 */
export async function dataTables(db: CatalogSource): Promise<CatalogTable[]> {
  const tables = db.engine === 'postgres' ? await postgresTables(db) : await sqliteTables(db);
  return dependencyOrder(tables.filter((t) => !isMigrationTable(t.name)));
}

async function postgresTables(db: CatalogSource): Promise<CatalogTable[]> {
  const keys = await sql<{ table_name: string; column_name: string }>`
    select k.table_name, k.column_name from information_schema.table_constraints c
    join information_schema.key_column_usage k on k.constraint_name = c.constraint_name and k.table_schema = c.table_schema and k.table_name = c.table_name
    where c.table_schema = current_schema() and c.constraint_type = 'PRIMARY KEY' order by k.table_name, k.ordinal_position`.execute(db.kysely);
  const references = await sql<{ child: string; parent: string }>`
    select distinct child.relname as child, parent.relname as parent from pg_constraint c
    join pg_class child on child.oid = c.conrelid join pg_class parent on parent.oid = c.confrelid
    join pg_namespace n on n.oid = child.relnamespace
    where c.contype = 'f' and n.nspname = current_schema()`.execute(db.kysely);
  return (await tableNames(db)).map((name) => ({
    name,
    primaryKey: keys.rows.filter((k) => k.table_name === name).map((k) => k.column_name),
    references: references.rows.filter((r) => r.child === name && r.parent !== name).map((r) => r.parent),
  }));
}

async function sqliteTables(db: CatalogSource): Promise<CatalogTable[]> {
  const tables: CatalogTable[] = [];
  for (const name of await tableNames(db)) {
    const columns = await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${name})`.execute(db.kysely);
    const parents = await sql<{ parent: string }>`select distinct "table" as parent from pragma_foreign_key_list(${name})`.execute(db.kysely);
    tables.push({
      name,
      primaryKey: columns.rows
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
      references: parents.rows.map((p) => p.parent).filter((p) => p !== name),
    });
  }
  return tables;
}

/** Orders tables (given in name order) so each comes after those it references; a cycle keeps its tables in name order. */
function dependencyOrder(tables: CatalogTable[]): CatalogTable[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const ordered: CatalogTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: CatalogTable): void => {
    if (state.get(table.name)) return;
    state.set(table.name, 'visiting');
    for (const parent of table.references) {
      const found = byName.get(parent);
      if (found) visit(found);
    }
    state.set(table.name, 'done');
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}
