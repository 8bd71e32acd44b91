import { sql, type Kysely } from 'kysely';

/**
 * Drops the secondary indexes of `tables` (and their primary keys and unique constraints that no
 * foreign key relies on) and returns what builds them again: for a restore that loads every row
 * first and builds each index once, sorted, instead of inserting a million random keys one at a
 * time. Runs inside the restore's transaction, so a failure puts every index back.
 *
 * @returns the statements that recreate them (constraints first), to run after the load.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database
export async function dropIndexesForLoad(tx: Kysely<any>, tables: readonly string[]): Promise<string[]> {
  const { rows: constraints } = await sql<{ table_name: string; name: string; definition: string }>`
    select t.relname as table_name, c.conname as name, pg_get_constraintdef(c.oid) as definition
    from pg_constraint c join pg_class t on t.oid = c.conrelid
    where t.relnamespace = current_schema()::regnamespace and t.relname = any(${[...tables]}) and c.contype in ('p', 'u')
      and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = c.conindid)
    order by t.relname, c.conname`.execute(tx);
  const { rows: indexes } = await sql<{ name: string; definition: string }>`
    select quote_ident(x.relname) as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class t on t.oid = i.indrelid join pg_class x on x.oid = i.indexrelid
    where t.relnamespace = current_schema()::regnamespace and t.relname = any(${[...tables]})
      and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.contype in ('p', 'u', 'x'))
    order by t.relname, x.relname`.execute(tx);
  for (const index of indexes) await sql.raw(`drop index ${index.name}`).execute(tx);
  for (const constraint of constraints) await sql`alter table ${sql.table(constraint.table_name)} drop constraint ${sql.ref(constraint.name)}`.execute(tx);
  return [
    ...constraints.map((c) => `alter table "${c.table_name.replaceAll('"', '""')}" add constraint "${c.name.replaceAll('"', '""')}" ${c.definition}`),
    ...indexes.map((index) => index.definition),
  ];
}

/**
 * SQLite: drops the indexes of `tables` created with `CREATE INDEX` (those of primary keys and
 * unique constraints are part of their tables and stay) and returns their `CREATE INDEX`
 * statements, to run after the load. Inside the restore's transaction, like
 * {@link dropIndexesForLoad}.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database
export async function dropSqliteIndexesForLoad(tx: Kysely<any>, tables: readonly string[]): Promise<string[]> {
  if (tables.length === 0) return [];
  const { rows } = await sql<{ name: string; sql: string }>`
    select name, sql from sqlite_master where type = 'index' and sql is not null and tbl_name in (${sql.join([...tables])}) order by name`.execute(tx);
  for (const index of rows) await sql`drop index ${sql.ref(index.name)}`.execute(tx);
  return rows.map((index) => index.sql);
}
