import { sql, type Kysely } from 'kysely';
import type { MigrationSet } from '../../db/migrate.js';
import { sqlTypes } from '../../db/sql-types.js';

/** The `products` table and an index for every list and lookup path, each led by `tenant_id`. */
export const productsMigrations: MigrationSet = {
  '0001_create_products': {
    async up(db: Kysely<any>) {
      const t = sqlTypes(db);
      await db.schema
        .createTable('products')
        .addColumn('id', t.id, (c) => c.primaryKey())
        .addColumn('tenant_id', t.id, (c) => c.notNull())
        .addColumn('sku', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('name_search', 'text', (c) => c.notNull())
        .addColumn('category', 'varchar(100)')
        .addColumn('unit', 'varchar(3)', (c) => c.notNull())
        .addColumn('min_stock', 'bigint', (c) =>
          c
            .notNull()
            .defaultTo(0)
            .check(sql`min_stock >= 0`),
        )
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull())
        .addUniqueConstraint('products_tenant_sku_unique', ['tenant_id', 'sku'])
        // Lets other modules' tables refer to (tenant_id, product_id), so a row can never point
        // at another tenant's product; it also serves lookups by id within a tenant.
        .addUniqueConstraint('products_tenant_id_unique', ['tenant_id', 'id'])
        .execute();
      await db.schema.createIndex('products_tenant_name').on('products').columns(['tenant_id', 'name_search', 'id']).execute();
      await db.schema.createIndex('products_tenant_created').on('products').columns(['tenant_id', 'created_at', 'id']).execute();
      await db.schema.createIndex('products_tenant_category_name').on('products').columns(['tenant_id', 'category', 'name_search', 'id']).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('products').execute();
    },
  },
};
