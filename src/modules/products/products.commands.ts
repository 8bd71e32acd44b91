import { insertRow } from '../../db/insert-rows.js';
import { updateIfVersion } from '../../db/versioned-update.js';
import { defineCommand } from '../../resilience/command.js';
import { newId } from '../../shared/ids.js';
import { productNotFound, skuTaken, versionConflict } from './products.errors.js';
import { BEFORE_PRODUCT_DELETE } from './products.hooks.js';
import { toMilli } from './products.quantities.js';
import { searchable } from '../../shared/text.js';
import { toProduct, type ProductRow, type ProductsTables } from './products.queries.js';
import type { CreateProductBody, Product, UpdateProductBody } from './products.schemas.js';

const conflicts = [{ table: 'products', columns: ['tenant_id', 'sku'], error: skuTaken }];

/** Creates a product. */
export const createProduct = defineCommand<CreateProductBody, Product, ProductsTables>({
  name: 'products.create',
  version: 1,
  conflicts,
  async handler(tx, payload, ctx) {
    const row: ProductRow = {
      id: newId(),
      tenant_id: ctx.tenantId,
      sku: payload.sku.toUpperCase(),
      name: payload.name,
      name_search: searchable(payload.name),
      category: payload.category ?? null,
      unit: payload.unit,
      min_stock: toMilli(payload.minStock ?? 0, '/minStock', { allowZero: true }),
      active: 1,
      version: 1,
      created_at: ctx.now,
      updated_at: ctx.now,
    };
    await insertRow(tx, 'products', row);
    return { status: 201, body: toProduct(row), entity: 'product', entityId: row.id };
  },
});

/** Payload of {@link updateProduct}: the body plus the product's id. */
export type UpdateProduct = UpdateProductBody & { id: string };

/** Updates a product if the client read its current version (optimistic concurrency). */
export const updateProduct = defineCommand<UpdateProduct, Product, ProductsTables>({
  name: 'products.update',
  version: 1,
  conflicts,
  async handler(tx, payload, ctx) {
    const current = await tx.selectFrom('products').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).executeTakeFirst();
    if (!current) throw productNotFound(payload.id);
    if (current.version !== payload.version) throw versionConflict(payload.version, current.version);
    const name = payload.name ?? current.name;
    const changes = {
      sku: payload.sku === undefined ? current.sku : payload.sku.toUpperCase(),
      name,
      name_search: searchable(name),
      category: payload.category === undefined ? current.category : payload.category,
      unit: payload.unit ?? current.unit,
      min_stock: payload.minStock === undefined ? current.min_stock : toMilli(payload.minStock, '/minStock', { allowZero: true }),
      active: payload.active === undefined ? current.active : payload.active ? 1 : 0,
      version: current.version + 1,
      updated_at: ctx.now,
    };
    // A concurrent update may have won between our read and our write.
    if (!(await updateIfVersion(tx, 'products', { tenantId: ctx.tenantId, id: payload.id, version: payload.version }, changes))) {
      throw versionConflict(payload.version, current.version + 1);
    }
    const next: ProductRow = { ...current, ...changes };
    return { status: 200, body: toProduct(next), entity: 'product', entityId: payload.id };
  },
});

/**
 * Deletes a product for good (admins; staff deactivate instead). The hooks other modules
 * registered run first in the same transaction: stock refuses while the product has stock.
 */
export const deleteProduct = defineCommand<{ id: string }, Product, ProductsTables>({
  permission: 'delete',
  name: 'products.delete',
  version: 1,
  async handler(tx, payload, ctx) {
    const current = await tx.selectFrom('products').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).executeTakeFirst();
    if (!current) throw productNotFound(payload.id);
    await ctx.hooks.run(BEFORE_PRODUCT_DELETE, tx, ctx.tenantId, payload.id);
    await tx.deleteFrom('products').where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).execute();
    return { status: 200, body: toProduct(current), entity: 'product', entityId: payload.id };
  },
});
