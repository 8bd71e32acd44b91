import { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { likeEscaped } from '../../db/like.js';
import { KeysetList, orderOf, type Page } from '../../db/keyset.js';
import { escapeLike, searchable } from '../../shared/text.js';
import { fromMilli } from './products.quantities.js';
import type { ListProductsQuery, Product, ProductUnit } from './products.schemas.js';

/** The products table as Kysely sees it. */
export interface ProductsTables {
  products: {
    id: string;
    tenant_id: string;
    /** Upper-case: SKUs are codes, "far-1" and "FAR-1" are the same product. */
    sku: string;
    name: string;
    /** Lower-case, accent-free name: what search and sorting use, the same on both engines. */
    name_search: string;
    category: string | null;
    unit: ProductUnit;
    /** Whole milli-units of the product's unit. */
    min_stock: number;
    active: number;
    version: number;
    created_at: string;
    updated_at: string;
  };
}

/** One products row. */
export type ProductRow = ProductsTables['products'];

/** Where a product query runs: the app's database (routes) or a command's transaction. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
export type ProductsSource = Database | Kysely<any>;

/** Kysely over the products table, from the app's database or a transaction. */
export function productsDb(source: ProductsSource): Kysely<ProductsTables> {
  return (source instanceof Kysely ? source : source.kysely) as Kysely<ProductsTables>;
}

/** A row as the API shows it: the minimum stock in units, flags as booleans, camelCase. */
export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    category: row.category,
    unit: row.unit,
    minStock: fromMilli(row.min_stock),
    active: Boolean(row.active),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * One product of a tenant, or undefined (also for another tenant's id).
 *
 * @param source - the app's database, or the transaction of a command that must see its own writes.
 */
export async function findProduct(source: ProductsSource, tenantId: string, id: string): Promise<Product | undefined> {
  const row = await productsDb(source).selectFrom('products').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toProduct(row) : undefined;
}

/** What a list of products is filtered by: the tenant, a category, active or not, and a search's patterns. */
type ProductFilters = {
  readonly tenantId: string;
  readonly category: string | undefined;
  /** 1 or 0. */
  readonly active: number | undefined;
  /** `%term%` for the name, escaped for LIKE. */
  readonly nameContains: string | undefined;
  /** `%TERM%` for the SKU (upper case), escaped for LIKE. */
  readonly skuContains: string | undefined;
};

const productsList = new KeysetList((db: Kysely<ProductsTables>, f: ProductFilters) => {
  let query = db.selectFrom('products').selectAll().where('tenant_id', '=', f.tenantId);
  if (f.category !== undefined) query = query.where('category', '=', f.category);
  if (f.active !== undefined) query = query.where('active', '=', f.active);
  if (f.nameContains !== undefined && f.skuContains !== undefined) {
    const { nameContains, skuContains } = f;
    query = query.where((eb) => eb.or([likeEscaped('name_search', nameContains), likeEscaped('sku', skuContains)]));
  }
  return query;
});

/**
 * A page of a tenant's products: optional search `q` over name and SKU, `category` and `active`
 * filters, keyset pagination on (sort column, id) so pages never skip or repeat rows.
 */
export async function listProducts(db: Database, tenantId: string, params: ListProductsQuery): Promise<Page<Product>> {
  const filters: ProductFilters = {
    tenantId,
    category: params.category,
    active: params.active === undefined ? undefined : params.active ? 1 : 0,
    nameContains: params.q ? `%${escapeLike(searchable(params.q))}%` : undefined,
    skuContains: params.q ? `%${escapeLike(params.q.toUpperCase())}%` : undefined,
  };
  return productsList.page(productsDb(db), filters, { order: orderOf(params.sort ?? 'name'), limit: params.limit ?? 20, cursor: params.cursor }, toProduct);
}
