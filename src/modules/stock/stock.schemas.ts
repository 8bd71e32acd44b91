import { Type, type Static } from '@sinclair/typebox';
import { DateSchema, Line, PageQuery, Text, Uuid } from '../../shared/schemas.js';
import { MAX_QUANTITY, PRODUCT_UNITS } from '../products/index.js';

/** What a movement does to its lot. */
export const MOVEMENT_TYPES = ['in', 'out', 'adjust', 'expire'] as const;
/** One of {@link MOVEMENT_TYPES}. */
export type MovementType = (typeof MOVEMENT_TYPES)[number];

const MovementTypeSchema = Type.Union(
  MOVEMENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'in adds quantity; out takes it; adjust sets countedQuantity; expire writes the lot off' },
);
const Unit = Type.Union(PRODUCT_UNITS.map((u) => Type.Literal(u)));

/** A lot's code, what its QR code holds: visible ASCII, no spaces; unique per tenant. */
export const LotCode = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[!-~]+$',
  description: 'the QR code content; unique per tenant',
  examples: ['L-2026-0001'],
});
/** A quantity moved, in the product's unit: above 0, at most 3 decimals. */
export const Quantity = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_QUANTITY,
  description: 'in the product unit, above 0, at most 3 decimals',
  examples: [2.5],
});
/** A counted quantity: 0 or more, at most 3 decimals. */
export const CountedQuantity = Type.Number({
  minimum: 0,
  maximum: MAX_QUANTITY,
  description: 'what was counted, in the product unit, at most 3 decimals',
  examples: [1.25],
});
const Reason = Text(500);

/** A stock lot as the API shows it (quantities in the product's unit). */
export const LotSchema = Type.Object(
  {
    id: Uuid(),
    productId: Uuid(),
    code: Type.String(),
    quantity: Type.Number(),
    expiresOn: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
    expired: Type.Boolean({ description: 'written off by an expire movement' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'StockLot' },
);
/** A stock lot. */
export type Lot = Static<typeof LotSchema>;

/** A stock movement as the API shows it: `quantity` is the signed change, `balanceAfter` the lot's quantity after it. */
export const MovementSchema = Type.Object(
  {
    id: Uuid(),
    lotId: Uuid(),
    productId: Uuid(),
    type: MovementTypeSchema,
    quantity: Type.Number({ description: 'signed change: + in, - out, ± adjust, - expire' }),
    balanceAfter: Type.Number(),
    reason: Type.Union([Type.String(), Type.Null()]),
    userId: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'StockMovement' },
);
/** A stock movement. */
export type Movement = Static<typeof MovementSchema>;

/** The outcome of a movement: the lot as it is now, and the movement written. */
export const MovedSchema = Type.Object({ lot: LotSchema, movement: MovementSchema });
/** A lot and its new movement. */
export type Moved = Static<typeof MovedSchema>;

/** `POST /api/stock/lots` body: receive goods as a new lot. */
export const CreateLotBody = Type.Object(
  {
    productId: Uuid(),
    code: LotCode,
    quantity: Quantity,
    expiresOn: Type.Optional(DateSchema),
    reason: Type.Optional(Reason),
  },
  {
    additionalProperties: false,
    examples: [{ productId: '0190f5e2-7c4a-7b8e-9d3f-2a1b4c5d6e7f', code: 'L-2026-0001', quantity: 50, expiresOn: '2026-12-31', reason: 'Nota fiscal 4521' }],
  },
);
/** A lot to receive. */
export type CreateLotBody = Static<typeof CreateLotBody>;

/**
 * `POST /api/stock/movements` body. Which fields a type takes: `in` and `out` a `quantity`;
 * `adjust` a `countedQuantity` and a `reason`; `expire` neither quantity.
 */
export const MovementBody = Type.Object(
  {
    lotCode: LotCode,
    type: MovementTypeSchema,
    quantity: Type.Optional(Quantity),
    countedQuantity: Type.Optional(CountedQuantity),
    reason: Type.Optional(Reason),
  },
  {
    additionalProperties: false,
    examples: [
      { lotCode: 'L-2026-0001', type: 'out', quantity: 5, reason: 'Venda no balcão' },
      { lotCode: 'L-2026-0001', type: 'adjust', countedQuantity: 44, reason: 'Contagem de inventário' },
    ],
  },
);
/** A movement to apply. */
export type MovementBody = Static<typeof MovementBody>;

/** `POST /api/stock/use` body: what scanning a lot's QR code and taking some sends. */
export const UseBody = Type.Object(
  { lotCode: LotCode, quantity: Quantity },
  { additionalProperties: false, examples: [{ lotCode: 'L-2026-0001', quantity: 1 }] },
);
/** A use of a lot. */
export type UseBody = Static<typeof UseBody>;

/** `GET /api/stock/lots` query. */
export const ListLotsQuery = Type.Object({ ...PageQuery, productId: Type.Optional(Uuid()), code: Type.Optional(LotCode) }, { additionalProperties: false });
/** Lot list parameters. */
export type ListLotsQuery = Static<typeof ListLotsQuery>;

/** `GET /api/stock/movements` query. */
export const ListMovementsQuery = Type.Object(
  { ...PageQuery, lotId: Type.Optional(Uuid()), productId: Type.Optional(Uuid()) },
  { additionalProperties: false },
);
/** Movement list parameters. */
export type ListMovementsQuery = Static<typeof ListMovementsQuery>;

/** `GET /api/stock/balance` query: a page of products by name, optionally filtered like `GET /api/products`. */
export const BalanceQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    category: Type.Optional(Line(100)),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
/** Balance parameters. */
export type BalanceQuery = Static<typeof BalanceQuery>;

/** One product's stock: its total and the lots holding it, soonest expiry first. */
export const BalanceSchema = Type.Object({
  productId: Uuid(),
  sku: Type.String(),
  name: Type.String(),
  unit: Unit,
  minStock: Type.Number(),
  quantity: Type.Number(),
  lots: Type.Array(Type.Object({ id: Uuid(), code: Type.String(), quantity: Type.Number(), expiresOn: Type.Union([Type.String(), Type.Null()]) })),
});
/** A product's balance. */
export type Balance = Static<typeof BalanceSchema>;

/** `GET /api/stock/below-minimum` query. */
export const BelowMinimumQuery = Type.Object({ ...PageQuery }, { additionalProperties: false });
/** Below-minimum parameters. */
export type BelowMinimumQuery = Static<typeof BelowMinimumQuery>;

/** An active product whose total stock is under its minimum, and how much is missing. */
export const BelowMinimumSchema = Type.Object({
  productId: Uuid(),
  sku: Type.String(),
  name: Type.String(),
  unit: Unit,
  minStock: Type.Number(),
  quantity: Type.Number(),
  missing: Type.Number({ description: 'minStock - quantity' }),
});
/** A product under its minimum. */
export type BelowMinimum = Static<typeof BelowMinimumSchema>;

/** Most days ahead `GET /api/stock/expiring` looks. */
export const MAX_EXPIRING_DAYS = 365;

/** `GET /api/stock/expiring` query. */
export const ExpiringQuery = Type.Object(
  {
    ...PageQuery,
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPIRING_DAYS, default: 7, description: 'how many days ahead of today (UTC) to look' })),
  },
  { additionalProperties: false },
);
/** Expiring parameters. */
export type ExpiringQuery = Static<typeof ExpiringQuery>;

/** A lot with stock that expires within the window (or is past its date but not yet written off). */
export const ExpiringSchema = Type.Object({
  id: Uuid(),
  productId: Uuid(),
  sku: Type.String(),
  name: Type.String(),
  unit: Unit,
  code: Type.String(),
  quantity: Type.Number(),
  expiresOn: Type.String({ format: 'date' }),
  daysLeft: Type.Integer({ description: '0 expires today; negative is past its date and should be expired' }),
});
/** An expiring lot. */
export type Expiring = Static<typeof ExpiringSchema>;
