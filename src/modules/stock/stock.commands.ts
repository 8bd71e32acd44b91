import type { Kysely, Transaction } from 'kysely';
import { insertRow } from '../../db/insert-rows.js';
import { defineCommand, type CommandContext } from '../../resilience/command.js';
import type { FieldError } from '../../shared/app-error.js';
import { newId } from '../../shared/ids.js';
import { findProduct, fromMilli, productHasStock, productNotFound, toMilli, type ProductsTables } from '../products/index.js';
import { insufficientStock, invalidMovement, lotCodeTaken, lotExpired, lotNotFound } from './stock.errors.js';
import { toLot, toMovement, type LotRow, type MovementRow, type StockTables } from './stock.queries.js';
import type { CreateLotBody, Lot, MovementBody, MovementType, Moved, UseBody } from './stock.schemas.js';
import { text, type LocalText } from '../../shared/i18n/translate.js';

type StockTx = Kysely<StockTables & ProductsTables>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
function stockTx(tx: Transaction<any>): StockTx {
  return tx as unknown as StockTx;
}

/** A movement reduced to what it does, quantities in milli-units. */
export type Change =
  | { type: 'in' | 'out'; milli: number; reason: string | null }
  | { type: 'adjust'; counted: number; reason: string }
  | { type: 'expire'; reason: string | null };

/**
 * Checks that a movement body carries the fields its type needs and no others, and converts its
 * quantities to milli-units.
 *
 * @throws {AppError} 400 `ERR_VALIDATION` listing every field that does not fit.
 */
export function changeOf(body: MovementBody): Change {
  const errors: FieldError[] = [];
  const field = (name: string, message: LocalText) => errors.push({ in: 'body', field: `/${name}`, message });
  const takesQuantity = body.type === 'in' || body.type === 'out';
  if (takesQuantity && body.quantity === undefined) field('quantity', text('stock.field.quantityRequired', { type: body.type }));
  if (!takesQuantity && body.quantity !== undefined)
    field('quantity', body.type === 'adjust' ? text('stock.field.quantityRefusedAdjust') : text('stock.field.quantityRefused', { type: body.type }));
  if (body.type === 'adjust' && body.countedQuantity === undefined) field('countedQuantity', text('stock.field.countedRequired'));
  if (body.type !== 'adjust' && body.countedQuantity !== undefined) field('countedQuantity', text('stock.field.countedOnlyAdjust'));
  if (body.type === 'adjust' && body.reason === undefined) field('reason', text('stock.field.reasonRequired'));
  if (errors.length > 0) throw invalidMovement(errors);
  const reason = body.reason ?? null;
  switch (body.type) {
    case 'in':
    case 'out':
      return { type: body.type, milli: toMilli(body.quantity as number, '/quantity'), reason };
    case 'adjust':
      return { type: 'adjust', counted: toMilli(body.countedQuantity as number, '/countedQuantity', { allowZero: true }), reason: body.reason as string };
    case 'expire':
      return { type: 'expire', reason };
  }
}

/** Why a conditional update of the lot with `code` touched no row: unknown lot, written off, or short of stock. */
async function whyNotMoved(db: StockTx, tenantId: string, code: string, milli: number): Promise<never> {
  const lot = await db.selectFrom('stock_lots').select(['quantity', 'expired']).where('tenant_id', '=', tenantId).where('code', '=', code).executeTakeFirst();
  if (!lot) throw lotNotFound({ code });
  if (lot.expired) throw lotExpired(code);
  throw insufficientStock(code, fromMilli(lot.quantity), fromMilli(milli));
}

/**
 * Adds to (`in`) or takes from (`out`) a lot in ONE conditional UPDATE, so concurrent takers can
 * never drive it below zero: on PostgreSQL the row lock makes each UPDATE re-check
 * `quantity >= :q` against the committed value; on SQLite transactions run one at a time.
 */
async function addOrTake(db: StockTx, ctx: CommandContext, code: string, type: 'in' | 'out', milli: number): Promise<LotRow> {
  let update = db
    .updateTable('stock_lots')
    .set((eb) => ({ quantity: eb('quantity', type === 'in' ? '+' : '-', milli), updated_at: ctx.now }))
    .where('tenant_id', '=', ctx.tenantId)
    .where('code', '=', code)
    .where('expired', '=', 0);
  if (type === 'out') update = update.where('quantity', '>=', milli);
  const lot = await update.returningAll().executeTakeFirst();
  return lot ?? whyNotMoved(db, ctx.tenantId, code, milli);
}

/**
 * Reads a lot for a change computed from its current quantity (adjust, expire), locking it: the
 * UPDATE takes the row lock on PostgreSQL, so no other movement changes the quantity before
 * this transaction commits.
 */
async function lockLot(db: StockTx, ctx: CommandContext, code: string): Promise<LotRow> {
  const lot = await db
    .updateTable('stock_lots')
    .set({ updated_at: ctx.now })
    .where('tenant_id', '=', ctx.tenantId)
    .where('code', '=', code)
    .returningAll()
    .executeTakeFirst();
  if (!lot) throw lotNotFound({ code });
  if (lot.expired) throw lotExpired(code);
  return lot;
}

async function setQuantity(db: StockTx, ctx: CommandContext, lot: LotRow, quantity: number, expired: boolean): Promise<LotRow> {
  const changes = { quantity, expired: expired ? 1 : lot.expired, updated_at: ctx.now };
  await db.updateTable('stock_lots').set(changes).where('tenant_id', '=', ctx.tenantId).where('id', '=', lot.id).execute();
  return { ...lot, ...changes };
}

async function writeMovement(db: StockTx, ctx: CommandContext, lot: LotRow, type: MovementType, quantity: number, reason: string | null): Promise<MovementRow> {
  const row: MovementRow = {
    id: newId(),
    tenant_id: ctx.tenantId,
    lot_id: lot.id,
    product_id: lot.product_id,
    type,
    quantity,
    balance_after: lot.quantity,
    reason,
    user_id: ctx.userId,
    request_id: ctx.requestId,
    created_at: ctx.now,
  };
  await insertRow(db, 'stock_movements', row);
  return row;
}

/** Applies a change to the lot with `code` and writes its movement, in the command's transaction. */
async function applyChange(db: StockTx, ctx: CommandContext, code: string, change: Change): Promise<Moved> {
  let lot: LotRow;
  let delta: number;
  switch (change.type) {
    case 'in':
    case 'out':
      lot = await addOrTake(db, ctx, code, change.type, change.milli);
      delta = change.type === 'in' ? change.milli : -change.milli;
      break;
    case 'adjust': {
      const before = await lockLot(db, ctx, code);
      lot = await setQuantity(db, ctx, before, change.counted, false);
      delta = change.counted - before.quantity;
      break;
    }
    case 'expire': {
      const before = await lockLot(db, ctx, code);
      lot = await setQuantity(db, ctx, before, 0, true);
      // `0 - q`, not `-q`: an empty lot's change is 0, never -0.
      delta = 0 - before.quantity;
      break;
    }
  }
  const movement = await writeMovement(db, ctx, lot, change.type, delta, change.reason);
  return { lot: toLot(lot), movement: toMovement(movement) };
}

/** Receives goods as a new lot: the lot with its QR code, and its first `in` movement. */
export const receiveLot = defineCommand<CreateLotBody, Lot>({
  name: 'stock.receive',
  version: 1,
  conflicts: [{ table: 'stock_lots', columns: ['tenant_id', 'code'], error: lotCodeTaken }],
  async handler(tx, payload, ctx) {
    const db = stockTx(tx);
    const milli = toMilli(payload.quantity, '/quantity');
    if (!(await findProduct(tx, ctx.tenantId, payload.productId))) throw productNotFound(payload.productId);
    const lot: LotRow = {
      id: newId(),
      tenant_id: ctx.tenantId,
      product_id: payload.productId,
      code: payload.code,
      quantity: milli,
      expires_on: payload.expiresOn ?? null,
      expired: 0,
      created_at: ctx.now,
      updated_at: ctx.now,
    };
    await insertRow(db, 'stock_lots', lot);
    await writeMovement(db, ctx, lot, 'in', milli, payload.reason ?? null);
    return { status: 201, body: toLot(lot), entity: 'stock_lot', entityId: lot.id };
  },
});

/** Applies a movement (`in`, `out`, `adjust`, `expire`) to a lot found by its code. */
export const moveStock = defineCommand<MovementBody, Moved>({
  name: 'stock.move',
  version: 1,
  async handler(tx, payload, ctx) {
    const moved = await applyChange(stockTx(tx), ctx, payload.lotCode, changeOf(payload));
    return { status: 201, body: moved, entity: 'stock_movement', entityId: moved.movement.id };
  },
});

/** Takes a quantity from a lot whose QR code was scanned: an `out` movement. */
export const useLot = defineCommand<UseBody, Moved>({
  name: 'stock.use',
  version: 1,
  async handler(tx, payload, ctx) {
    const change: Change = { type: 'out', milli: toMilli(payload.quantity, '/quantity'), reason: null };
    const moved = await applyChange(stockTx(tx), ctx, payload.lotCode, change);
    return { status: 201, body: moved, entity: 'stock_movement', entityId: moved.movement.id };
  },
});

/**
 * Runs before a product is deleted (added to products' `BEFORE_PRODUCT_DELETE`): refuses
 * with 409 `ERR_PRODUCT_HAS_STOCK` while any of its lots holds stock; otherwise removes its
 * empty lots and their movements, which would point at nothing. The lots are locked first (an
 * UPDATE), so no movement can restock one between the check and the delete.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
export async function releaseProductLots(tx: Transaction<any>, tenantId: string, productId: string): Promise<void> {
  const db = stockTx(tx);
  const lots = await db
    .updateTable('stock_lots')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('tenant_id', '=', tenantId)
    .where('product_id', '=', productId)
    .returning(['id', 'quantity'])
    .execute();
  const stocked = lots.reduce((sum, l) => sum + l.quantity, 0);
  if (stocked > 0) throw productHasStock(productId, fromMilli(stocked));
  if (lots.length === 0) return;
  await db.deleteFrom('stock_movements').where('tenant_id', '=', tenantId).where('product_id', '=', productId).execute();
  await db.deleteFrom('stock_lots').where('tenant_id', '=', tenantId).where('product_id', '=', productId).execute();
}
