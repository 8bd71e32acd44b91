import type { Kysely } from 'kysely';
import type { MigrationSet } from '../../db/migrate.js';
import { sqlTypes } from '../../db/sql-types.js';

/** The `customers` table and an index for every list and lookup path, each led by `tenant_id`. */
export const customersMigrations: MigrationSet = {
  '0001_create_customers': {
    async up(db: Kysely<any>) {
      const t = sqlTypes(db);
      await db.schema
        .createTable('customers')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('tenant_id', t.id, (c) => c.notNull())
        .addColumn('kind', 'varchar(10)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('name_search', 'text', (c) => c.notNull())
        .addColumn('document', 'varchar(14)')
        .addColumn('email', 'varchar(254)')
        .addColumn('phone', 'varchar(20)')
        .addColumn('address', 'varchar(300)')
        .addColumn('notes', 'varchar(2000)')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .addUniqueConstraint('customers_tenant_document_unique', ['tenant_id', 'document'])
        .execute();
      await db.schema.createIndex('customers_tenant_name').on('customers').columns(['tenant_id', 'name_search', 'id']).execute();
      await db.schema.createIndex('customers_tenant_created').on('customers').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('customers_tenant_email').on('customers').columns(['tenant_id', 'email']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('customers').execute();
    },
  },
};
