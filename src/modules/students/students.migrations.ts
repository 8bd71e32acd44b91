import { sql, type Kysely } from 'kysely';
import type { MigrationSet } from '../../db/migrate.js';
import { sqlTypes } from '../../db/sql-types.js';

/** The `students` table and an index for every list, filter and lookup path, each led by `tenant_id`. */
export const studentsMigrations: MigrationSet = {
  '0001_create_students': {
    async up(db: Kysely<any>) {
      const t = sqlTypes(db);
      await db.schema
        .createTable('students')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('tenant_id', t.id, (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        // NB: unbounded, because NFD can make the searchable form longer than the name (Hangul).
        .addColumn('name_search', 'text', (c) => c.notNull())
        .addColumn('cpf', 'varchar(11)')
        .addColumn('birth_date', t.date, (c) => c.notNull())
        .addColumn('phone', 'varchar(20)')
        .addColumn('email', 'varchar(254)')
        .addColumn('guardian_name', 'varchar(200)')
        .addColumn('plan', 'varchar(100)', (c) => c.notNull())
        .addColumn('status', 'varchar(10)', (c) => c.notNull().defaultTo('active'))
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        // Also the index of the CPF lookup and of `q` searches by CPF prefix.
        .addUniqueConstraint('students_tenant_cpf_unique', ['tenant_id', 'cpf'])
        .addCheckConstraint('students_status_check', sql`status in ('active', 'inactive')`)
        .execute();
      // The default list (newest first) and the `createdAt` sorts.
      await db.schema.createIndex('students_tenant_created').on('students').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('students_tenant_name').on('students').columns(['tenant_id', 'name_search', 'id']).execute();
      await db.schema.createIndex('students_tenant_status_created').on('students').columns(['tenant_id', 'status', 'created_at', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('students').execute();
    },
  },
};
