import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { decodeCursor, encodeCursor } from '../../shared/cursor.js';
import { fromMilli, listProducts, type ProductsTables } from '../products/index.js';
import type {
  Balance,
  BalanceQuery,
  BelowMinimum,
  BelowMinimumQuery,
  Expiring,
  ExpiringQuery,
  ListLotsQuery,
  ListMovementsQuery,
  Lot,
  Movement,
  MovementType,
} from './stock.schemas.js';

/** The stock tables as Kysely sees them; quantities are whole milli-units of the product's unit. */
export interface StockTables {
  stock_lots: {
    id: string;
    tenant_id: string;
    product_id: string;
    /** What the lot's QR code holds; unique per tenant. */
    code: string;
    /** Never negative (CHECK constraint, and every decrement is conditional). */
    quantity: number;
    /** `YYYY-MM-DD`, or null for goods that do not expire. */
    expires_on: string | null;
    /** 1 once written off by an `expire` movement: it takes no more movements. */
    expired: number;
    created_at: string;
    updated_at: string;
  };
  stock_movements: {
    id: string;
    tenant_id: string;
    lot_id: string;
    product_id: string;
    type: MovementType;
    /** The signed change applied to the lot. */
    quantity: number;
    /** The lot's quantity right after this movement. */
    balance_after: number;
    reason: string | null;
    user_id: string | null;
    request_id: string;
    created_at: string;
  };
}

/** One stock_lots row. */
export type LotRow = StockTables['stock_lots'];
/** One stock_movements row. */
export type MovementRow = StockTables['stock_movements'];

/** Kysely over the stock tables, and the products table they join. */
export function stockDb(db: Database): Kysely<StockTables & ProductsTables> {
  return db.kysely as Kysely<StockTables & ProductsTables>;
}

/** A lot row as the API shows it: quantities in units, flags as booleans, camelCase. */
export function toLot(row: LotRow): Lot {
  return {
    id: row.id,
    productId: row.product_id,
    code: row.code,
    quantity: fromMilli(row.quantity),
    expiresOn: row.expires_on,
    expired: Boolean(row.expired),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A movement row as the API shows it. */
export function toMovement(row: MovementRow): Movement {
  return {
    id: row.id,
    lotId: row.lot_id,
    productId: row.product_id,
    type: row.type,
    quantity: fromMilli(row.quantity),
    balanceAfter: fromMilli(row.balance_after),
    reason: row.reason,
    userId: row.user_id,
    createdAt: row.created_at,
  };
}

/** A lot whose expiry date has passed and that is not written off yet. */
export interface LotPastExpiry {
  tenant_id: string;
  code: string;
  expires_on: string;
}

/**
 * Up to `limit` lots, of every tenant, whose expiry date is before `today` and that are not
 * written off yet, oldest expiry first. The one cross-tenant read: the expire-lots job's, each
 * lot then written off in its own tenant.
 */
export async function lotsPastExpiry(db: Database, today: string, limit: number): Promise<LotPastExpiry[]> {
  const rows = await (db.kysely as Kysely<StockTables>)
    .selectFrom('stock_lots')
    .select(['tenant_id', 'code', 'expires_on'])
    .where('expired', '=', 0)
    .where('expires_on', '<', today)
    .orderBy('expires_on')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ tenant_id: r.tenant_id, code: r.code, expires_on: String(r.expires_on) }));
}

const MS_PER_DAY = 86_400_000;

/** Today's date in UTC, `YYYY-MM-DD`. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** `date` plus `days` (may be negative), `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / MS_PER_DAY);
}

/** One lot of a tenant, or undefined (also for another tenant's id). */
export async function findLot(db: Database, tenantId: string, id: string): Promise<Lot | undefined> {
  const row = await stockDb(db).selectFrom('stock_lots').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toLot(row) : undefined;
}

/** A page of a tenant's lots, oldest first (keyset on id), optionally of one product or with one code. */
export async function listLots(db: Database, tenantId: string, params: ListLotsQuery): Promise<{ items: Lot[]; nextCursor: string | null }> {
  const limit = params.limit ?? 20;
  let query = stockDb(db).selectFrom('stock_lots').selectAll().where('tenant_id', '=', tenantId);
  if (params.productId) query = query.where('product_id', '=', params.productId);
  if (params.code) query = query.where('code', '=', params.code);
  if (params.cursor) query = query.where('id', '>', decodeCursor(params.cursor, 'text').id);
  const rows = await query
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return { items: page.map(toLot), nextCursor: last ? encodeCursor({ value: last.id, id: last.id }) : null };
}

/**
 * A page of a tenant's movements, newest first (keyset on created_at, id), optionally of one lot
 * or product. Keyset conditions here are row-value comparisons (`(a, b) < (x, y)`), which both
 * engines support and PostgreSQL turns into index bounds.
 */
export async function listMovements(db: Database, tenantId: string, params: ListMovementsQuery): Promise<{ items: Movement[]; nextCursor: string | null }> {
  const limit = params.limit ?? 20;
  let query = stockDb(db).selectFrom('stock_movements').selectAll().where('tenant_id', '=', tenantId);
  if (params.lotId) query = query.where('lot_id', '=', params.lotId);
  if (params.productId) query = query.where('product_id', '=', params.productId);
  if (params.cursor) {
    const cursor = decodeCursor(params.cursor, 'timestamp');
    const value = String(cursor.value);
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(value, cursor.id)));
  }
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return { items: page.map(toMovement), nextCursor: last ? encodeCursor({ value: last.created_at, id: last.id }) : null };
}

/** Sorts lots soonest expiry first, lots that do not expire last (the same on both engines). */
function byExpiry(a: LotRow, b: LotRow): number {
  if (a.expires_on === b.expires_on) return a.id < b.id ? -1 : 1;
  if (a.expires_on === null) return 1;
  if (b.expires_on === null) return -1;
  return a.expires_on < b.expires_on ? -1 : 1;
}

/**
 * The stock of a page of a tenant's products (by name, as `GET /api/products` pages them): each
 * product's total and the lots holding it, soonest expiry first. Products without stock are
 * listed with quantity 0. Sums are of whole milli-units, so they are exact.
 */
export async function stockBalance(db: Database, tenantId: string, params: BalanceQuery): Promise<{ items: Balance[]; nextCursor: string | null }> {
  const products = await listProducts(db, tenantId, { ...params, sort: 'name' });
  const ids = products.items.map((p) => p.id);
  const lots =
    ids.length === 0
      ? []
      : await stockDb(db)
          .selectFrom('stock_lots')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('product_id', 'in', ids)
          .where('quantity', '>', 0)
          .execute();
  lots.sort(byExpiry);
  const items = products.items.map((product) => {
    const own = lots.filter((l) => l.product_id === product.id);
    return {
      productId: product.id,
      sku: product.sku,
      name: product.name,
      unit: product.unit,
      minStock: product.minStock,
      quantity: fromMilli(own.reduce((sum, l) => sum + l.quantity, 0)),
      lots: own.map((l) => ({ id: l.id, code: l.code, quantity: fromMilli(l.quantity), expiresOn: l.expires_on })),
    };
  });
  return { items, nextCursor: products.nextCursor };
}

/**
 * A page of a tenant's active products whose total stock is under their minimum, by name
 * (keyset on name, id), with what is missing.
 */
export async function belowMinimum(db: Database, tenantId: string, params: BelowMinimumQuery): Promise<{ items: BelowMinimum[]; nextCursor: string | null }> {
  const limit = params.limit ?? 20;
  // NB: SUM of a bigint is numeric on PostgreSQL, which the driver returns as a string; the
  // cast brings it back to bigint, read as a number like every other quantity.
  const total = sql<number>`cast(coalesce(sum(${sql.ref('l.quantity')}), 0) as bigint)`;
  let query = stockDb(db)
    .selectFrom('products as p')
    .leftJoin('stock_lots as l', (join) => join.onRef('l.tenant_id', '=', 'p.tenant_id').onRef('l.product_id', '=', 'p.id'))
    .select(['p.id', 'p.sku', 'p.name', 'p.name_search', 'p.unit', 'p.min_stock', total.as('quantity')])
    .where('p.tenant_id', '=', tenantId)
    .where('p.active', '=', 1)
    .where('p.min_stock', '>', 0);
  if (params.cursor) {
    const cursor = decodeCursor(params.cursor, 'text');
    const value = String(cursor.value);
    query = query.where((eb) => eb(eb.refTuple('p.name_search', 'p.id'), '>', eb.tuple(value, cursor.id)));
  }
  const rows = await query
    .groupBy(['p.id', 'p.sku', 'p.name', 'p.name_search', 'p.unit', 'p.min_stock'])
    .having(sql<boolean>`coalesce(sum(${sql.ref('l.quantity')}), 0) < ${sql.ref('p.min_stock')}`)
    .orderBy('p.name_search')
    .orderBy('p.id')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return {
    items: page.map((r) => ({
      productId: r.id,
      sku: r.sku,
      name: r.name,
      unit: r.unit,
      minStock: fromMilli(r.min_stock),
      quantity: fromMilli(Number(r.quantity)),
      missing: fromMilli(r.min_stock - Number(r.quantity)),
    })),
    nextCursor: last ? encodeCursor({ value: last.name_search, id: last.id }) : null,
  };
}

/**
 * A page of a tenant's lots that still hold stock, are not written off and expire by
 * `today + days`, soonest first (keyset on expires_on, id). Lots already past their date are
 * included (negative `daysLeft`): they hold goods that should be expired.
 *
 * @param today - `YYYY-MM-DD`; the server's UTC date unless a test fixes it.
 */
export async function expiringLots(
  db: Database,
  tenantId: string,
  params: ExpiringQuery,
  today: string = todayUtc(),
): Promise<{ items: Expiring[]; nextCursor: string | null }> {
  const limit = params.limit ?? 20;
  const until = addDays(today, params.days ?? 7);
  let query = stockDb(db)
    .selectFrom('stock_lots as l')
    .innerJoin('products as p', (join) => join.onRef('p.tenant_id', '=', 'l.tenant_id').onRef('p.id', '=', 'l.product_id'))
    .select(['l.id', 'l.product_id', 'l.code', 'l.quantity', 'l.expires_on', 'p.sku', 'p.name', 'p.unit'])
    .where('l.tenant_id', '=', tenantId)
    .where('l.expires_on', '<=', until)
    .where('l.expired', '=', 0)
    .where('l.quantity', '>', 0);
  if (params.cursor) {
    const cursor = decodeCursor(params.cursor, 'date');
    const value = String(cursor.value);
    query = query.where((eb) => eb(eb.refTuple('l.expires_on', 'l.id'), '>', eb.tuple(value, cursor.id)));
  }
  const rows = await query
    .orderBy('l.expires_on')
    .orderBy('l.id')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return {
    items: page.map((r) => {
      const expiresOn = r.expires_on as string;
      return {
        id: r.id,
        productId: r.product_id,
        sku: r.sku,
        name: r.name,
        unit: r.unit,
        code: r.code,
        quantity: fromMilli(r.quantity),
        expiresOn,
        daysLeft: daysBetween(today, expiresOn),
      };
    }),
    nextCursor: last?.expires_on ? encodeCursor({ value: last.expires_on, id: last.id }) : null,
  };
}
