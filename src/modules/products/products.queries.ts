import { Kysely, sql, type Expression, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../db/database.js';
import { AppError } from '../../shared/app-error.js';
import { decodeCursor, encodeCursor, type Cursor } from '../../shared/cursor.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { isUuid } from '../../shared/ids.js';
import { isRealDate } from '../../shared/schemas.js';
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ProductsSource = Database | Kysely<any>;

/** Kysely over the products table, from the app's database or a transaction. */
export function productsDb(source: ProductsSource): Kysely<ProductsTables> {
  return (source instanceof Kysely ? source : source.kysely) as Kysely<ProductsTables>;
}

/** Lower-case without accents: "Açúcar Cristal" → "acucar cristal". */
export function searchable(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
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

/** What the sort value of a keyset cursor must be: free text, an ISO 8601 instant or a `YYYY-MM-DD` date. */
export type CursorValueKind = 'text' | 'timestamp' | 'date';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function fitsKind(value: string | number, kind: CursorValueKind): boolean {
  if (typeof value !== 'string') return false;
  if (kind === 'timestamp') return ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value));
  if (kind === 'date') return isRealDate(value);
  return true;
}

/**
 * Decodes a list's cursor and checks what it holds: the id a UUID and the value of `kind`. A
 * cursor that decodes but was forged (`{"id":"x"}`) would otherwise reach PostgreSQL as an
 * invalid uuid or timestamp and fail there with a 500.
 *
 * @throws {AppError} 400 `ERR_VALIDATION` naming the `cursor` field.
 */
export function decodePageCursor(raw: string, kind: CursorValueKind): Cursor {
  const cursor = decodeCursor(raw);
  if (isUuid(cursor.id) && fitsKind(cursor.value, kind)) return cursor;
  throw new AppError(ErrorCode.VALIDATION, 400, 'The cursor is not one this list gave out; use the nextCursor of the previous page, or omit it to start over.', {
    errors: [{ in: 'querystring', field: '/cursor', message: 'is not a valid cursor for this list' }],
  });
}

/** Escapes LIKE wildcards so a search for "50%" looks for the text "50%". */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * `column LIKE pattern` with `\` as the escape character on both engines.
 * NB: SQLite has no default LIKE escape character, so the ESCAPE clause is needed there.
 */
export function likeEscaped(column: string, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} like ${pattern} escape '\\'`;
}

type ProductQuery = SelectQueryBuilder<ProductsTables, 'products', ProductRow>;

function applySearch(query: ProductQuery, q: string): ProductQuery {
  return query.where((eb) => eb.or([likeEscaped('name_search', `%${escapeLike(searchable(q))}%`), likeEscaped('sku', `%${escapeLike(q.toUpperCase())}%`)]));
}

/**
 * A page of a tenant's products: optional search `q` over name and SKU, `category` and `active`
 * filters, keyset pagination on (sort column, id) so pages never skip or repeat rows.
 */
export async function listProducts(db: Database, tenantId: string, params: ListProductsQuery): Promise<{ items: Product[]; nextCursor: string | null }> {
  const limit = params.limit ?? 20;
  const sort = params.sort ?? 'name';
  const descending = sort.startsWith('-');
  const column = sort.replace('-', '') === 'name' ? 'name_search' : 'created_at';
  const direction = descending ? 'desc' : 'asc';
  const after = descending ? '<' : '>';

  let query: ProductQuery = productsDb(db).selectFrom('products').selectAll().where('tenant_id', '=', tenantId);
  if (params.category !== undefined) query = query.where('category', '=', params.category);
  if (params.active !== undefined) query = query.where('active', '=', params.active ? 1 : 0);
  if (params.q) query = applySearch(query, params.q);
  if (params.cursor) {
    const cursor = decodePageCursor(params.cursor, column === 'name_search' ? 'text' : 'timestamp');
    const value = String(cursor.value);
    // A row-value comparison, so PostgreSQL bounds the index scan with it instead of filtering.
    query = query.where((eb) => eb(eb.refTuple(column, 'id'), after, eb.tuple(value, cursor.id)));
  }
  const rows = await query.orderBy(column, direction).orderBy('id', direction).limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return { items: page.map(toProduct), nextCursor: last ? encodeCursor({ value: last[column], id: last.id }) : null };
}
