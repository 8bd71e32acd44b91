import type { Kysely } from 'kysely';
import type { MigrationSet } from '../migrate.js';
import { sqlTypes } from '../sql-types.js';

/**
 * The core's own tables. Written by the command dispatcher in the same transaction as every
 * business write: `idempotency_keys` (the first outcome of each `Idempotency-Key`) and
 * `audit_log` (who did what, when, in which request). Written by the job runner: `jobs` (one row
 * per cluster job: its lease, last slot and run history; instants as epoch milliseconds).
 */
export const coreMigrations: MigrationSet = {
  '0001_idempotency_keys_and_audit_log': {
    async up(db: Kysely<any>) {
      const t = sqlTypes(db);
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('tenant_id', t.id, (c) => c.notNull())
        .addColumn('key', 'varchar(255)', (c) => c.notNull())
        .addColumn('fingerprint', 'varchar(64)', (c) => c.notNull())
        .addColumn('command', 'varchar(100)', (c) => c.notNull())
        .addColumn('status_code', 'integer', (c) => c.notNull())
        .addColumn('response', 'text', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('expires_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['tenant_id', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expires_at').on('idempotency_keys').column('expires_at').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('tenant_id', t.id, (c) => c.notNull())
        .addColumn('user_id', t.id)
        .addColumn('action', 'varchar(100)', (c) => c.notNull())
        .addColumn('entity', 'varchar(50)', (c) => c.notNull())
        .addColumn('entity_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_tenant_created').on('audit_log').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('audit_log_tenant_entity').on('audit_log').columns(['tenant_id', 'entity', 'created_at', 'id']).execute();
      await db.schema.createIndex('audit_log_tenant_user').on('audit_log').columns(['tenant_id', 'user_id', 'created_at', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('audit_log').execute();
      await db.schema.dropTable('idempotency_keys').execute();
    },
  },
  '0002_jobs': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('jobs')
        .addColumn('name', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('holder', 'varchar(200)')
        .addColumn('lease_until', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('slot', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('not_before', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_run_at', 'bigint')
        .addColumn('last_success_at', 'bigint')
        .addColumn('last_error', 'text')
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('jobs').execute();
    },
  },
};
