import { sql, type Kysely } from 'kysely';
import type { MigrationSet } from '../../db/migrate.js';
import { sqlTypes } from '../../db/sql-types.js';

/**
 * The `stock_lots` and `stock_movements` tables, with an index led by `tenant_id` for every
 * list, filter and lookup path. Quantities are `bigint` milli-units; a lot's can never go below
 * zero (CHECK). Lots and movements refer to (tenant_id, id) of their product and lot, so a row
 * can never point at another tenant's. Runs after the products migrations (module order).
 */
export const stockMigrations: MigrationSet = {
  '0001_create_stock_lots_and_movements': {
    async up(db: Kysely<any>) {
      const t = sqlTypes(db);
      await db.schema
        .createTable('stock_lots')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('tenant_id', t.id, (c) => c.notNull())
        .addColumn('product_id', t.id, (c) => c.notNull())
        .addColumn('code', 'varchar(128)', (c) => c.notNull())
        .addColumn('quantity', 'bigint', (c) => c.notNull())
        .addColumn('expires_on', t.date)
        .addColumn('expired', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .addCheckConstraint('stock_lots_quantity_not_negative', sql`quantity >= 0`)
        .addUniqueConstraint('stock_lots_tenant_code_unique', ['tenant_id', 'code'])
        // Also the index of the unfiltered lot list (keyset on id) and of lookups by id.
        .addUniqueConstraint('stock_lots_tenant_id_unique', ['tenant_id', 'id'])
        .addForeignKeyConstraint('stock_lots_product_fk', ['tenant_id', 'product_id'], 'products', ['tenant_id', 'id'])
        .execute();
      await db.schema.createIndex('stock_lots_tenant_product').on('stock_lots').columns(['tenant_id', 'product_id', 'id']).execute();
      await db.schema.createIndex('stock_lots_tenant_expires').on('stock_lots').columns(['tenant_id', 'expires_on', 'id']).execute();

      await db.schema
        .createTable('stock_movements')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('tenant_id', t.id, (c) => c.notNull())
        .addColumn('lot_id', t.id, (c) => c.notNull())
        .addColumn('product_id', t.id, (c) => c.notNull())
        .addColumn('type', 'varchar(10)', (c) => c.notNull())
        .addColumn('quantity', 'bigint', (c) => c.notNull())
        .addColumn('balance_after', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(500)')
        .addColumn('user_id', t.id)
        .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addCheckConstraint('stock_movements_balance_not_negative', sql`balance_after >= 0`)
        .addCheckConstraint('stock_movements_type_known', sql`type in ('in', 'out', 'adjust', 'expire')`)
        .addForeignKeyConstraint('stock_movements_lot_fk', ['tenant_id', 'lot_id'], 'stock_lots', ['tenant_id', 'id'])
        .addForeignKeyConstraint('stock_movements_product_fk', ['tenant_id', 'product_id'], 'products', ['tenant_id', 'id'])
        .execute();
      await db.schema.createIndex('stock_movements_tenant_lot_created').on('stock_movements').columns(['tenant_id', 'lot_id', 'created_at', 'id']).execute();
      await db.schema
        .createIndex('stock_movements_tenant_product_created')
        .on('stock_movements')
        .columns(['tenant_id', 'product_id', 'created_at', 'id'])
        .execute();
      await db.schema.createIndex('stock_movements_tenant_created').on('stock_movements').columns(['tenant_id', 'created_at', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('stock_movements').execute();
      await db.schema.dropTable('stock_lots').execute();
    },
  },
};
