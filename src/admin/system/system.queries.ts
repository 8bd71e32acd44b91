import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';

interface SystemTables {
  system_settings: { key: string; value: string };
}

/** Reads every row of `system_settings` as a plain object. */
export async function readSettings(db: Database): Promise<Record<string, string>> {
  const rows = await (db.kysely as Kysely<SystemTables>).selectFrom('system_settings').select(['key', 'value']).execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
