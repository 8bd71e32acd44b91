import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { MigrationSet } from '../../db/migrate.js';

/** The system module's migrations: a key/value table of facts about the installation. */
export const systemMigrations: MigrationSet = {
  '0001_create_system_settings': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('system_settings')
        .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
      await db
        .insertInto('system_settings')
        .values([
          { key: 'installation_id', value: randomUUID() },
          { key: 'installed_at', value: new Date().toISOString() },
        ])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('system_settings').execute();
    },
  },
};
