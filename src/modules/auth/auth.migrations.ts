import type { Kysely } from 'kysely';
import type { MigrationSet } from '../../db/migrate.js';
import { sqlTypes } from '../../db/sql-types.js';

/** Tables of the auth module: `tenants` and `users`. */
export const authMigrations: MigrationSet = {
  '0001_create_tenants_and_users': {
    async up(db: Kysely<any>) {
      const t = sqlTypes(db);
      await db.schema
        .createTable('tenants')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('slug', 'varchar(50)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('tenant_id', t.id, (c) => c.notNull().references('tenants.id'))
        .addColumn('email', 'varchar(254)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('role', 'varchar(10)', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('password_hash', 'varchar(200)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .addUniqueConstraint('users_tenant_email_unique', ['tenant_id', 'email'])
        .execute();
      await db.schema.createIndex('users_tenant_created').on('users').columns(['tenant_id', 'created_at', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('users').execute();
      await db.schema.dropTable('tenants').execute();
    },
  },
  // The user's token epoch: every token carries the epoch it was signed in; bumping it (sign-out,
  // a password change, a deactivation) revokes the tokens signed before.
  '0002_add_token_epoch': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('users')
        .addColumn('token_epoch', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('users').dropColumn('token_epoch').execute();
    },
  },
  // The installation role: a user with it operates the whole installation (backups, restarts,
  // jobs, every tenant's figures and error lines), not only their tenant. The first owner of an
  // existing installation gets it, as the first owner of a new one does.
  '0003_add_installation_admin': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('users')
        .addColumn('installation_admin', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      const first = await db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'owner')
        .where('active', '=', 1)
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (first) await db.updateTable('users').set({ installation_admin: 1 }).where('id', '=', first.id).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('users').dropColumn('installation_admin').execute();
    },
  },
};
