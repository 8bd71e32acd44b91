import { Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { likeEscaped } from '../../db/like.js';
import { keysetPage, orderOf, type Page } from '../../db/keyset.js';
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

type ProductQuery = SelectQueryBuilder<ProductsTables, 'products', ProductRow>;

function applySearch(query: ProductQuery, q: string): ProductQuery {
  return query.where((eb) => eb.or([likeEscaped('name_search', `%${escapeLike(searchable(q))}%`), likeEscaped('sku', `%${escapeLike(q.toUpperCase())}%`)]));
}

/**
 * A page of a tenant's products: optional search `q` over name and SKU, `category` and `active`
 * filters, keyset pagination on (sort column, id) so pages never skip or repeat rows.
 */
export async function listProducts(db: Database, tenantId: string, params: ListProductsQuery): Promise<Page<Product>> {
  let query: ProductQuery = productsDb(db).selectFrom('products').selectAll().where('tenant_id', '=', tenantId);
  if (params.category !== undefined) query = query.where('category', '=', params.category);
  if (params.active !== undefined) query = query.where('active', '=', params.active ? 1 : 0);
  if (params.q) query = applySearch(query, params.q);
  return keysetPage(query, { order: orderOf(params.sort ?? 'name'), limit: params.limit ?? 20, cursor: params.cursor }, toProduct);
}
