import { Type, type Static } from '@sinclair/typebox';
import { Line, PageQuery, SortQuery, Uuid } from '../../shared/schemas.js';
import { MAX_QUANTITY } from './products.quantities.js';

/** The units a product is counted in. */
export const PRODUCT_UNITS = ['un', 'kg', 'g', 'l', 'ml', 'cx', 'pct'] as const;

/** One of {@link PRODUCT_UNITS}: unit, kilogram, gram, litre, millilitre, box (caixa), pack (pacote). */
export const ProductUnit = Type.Union(
  PRODUCT_UNITS.map((u) => Type.Literal(u)),
  { description: 'un (unit), kg, g, l, ml, cx (box), pct (pack)' },
);
/** A product unit. */
export type ProductUnit = (typeof PRODUCT_UNITS)[number];

/** A SKU: letters, digits and `. _ / -`, starting with a letter or digit; stored upper-cased. */
const Sku = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$',
  description: 'stored upper-cased; unique per tenant',
  examples: ['FAR-TRIGO-1KG'],
});
/** A minimum stock in the product's unit: 0 or more, at most 3 decimals. */
const MinStock = Type.Number({ minimum: 0, maximum: MAX_QUANTITY, description: 'in the product unit, at most 3 decimals', examples: [2.5] });

/** A product as the API shows it. */
export const ProductSchema = Type.Object(
  {
    id: Uuid(),
    sku: Type.String(),
    name: Type.String(),
    category: Type.Union([Type.String(), Type.Null()]),
    unit: ProductUnit,
    minStock: Type.Number({ description: 'below this total quantity the product shows in /api/stock/below-minimum' }),
    active: Type.Boolean(),
    version: Type.Integer({ description: 'send it back when updating' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Product' },
);
/** A product. */
export type Product = Static<typeof ProductSchema>;

/** `POST /api/products` body. */
export const CreateProductBody = Type.Object(
  {
    sku: Sku,
    name: Line(200),
    category: Type.Optional(Line(100)),
    unit: ProductUnit,
    minStock: Type.Optional(MinStock),
  },
  {
    additionalProperties: false,
    examples: [{ sku: 'FAR-TRIGO-1KG', name: 'Farinha de trigo tipo 1 (1 kg)', category: 'Mercearia', unit: 'un', minStock: 20 }],
  },
);
/** A new product. */
export type CreateProductBody = Static<typeof CreateProductBody>;

/** `PATCH /api/products/:id` body: the version read plus the fields to change (`null` clears the category). */
export const UpdateProductBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    sku: Type.Optional(Sku),
    name: Type.Optional(Line(200)),
    category: Type.Optional(Type.Union([Line(100), Type.Null()])),
    unit: Type.Optional(ProductUnit),
    minStock: Type.Optional(MinStock),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, examples: [{ version: 1, minStock: 30 }] },
);
/** Changes to a product. */
export type UpdateProductBody = Static<typeof UpdateProductBody>;

/** Sort orders of the list: by name or creation, `-` for descending. */
export const ProductSort = SortQuery('name');

/** `GET /api/products` query. */
export const ListProductsQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'part of the name (case and accents ignored) or of the SKU' })),
    category: Type.Optional(Line(100)),
    active: Type.Optional(Type.Boolean()),
    sort: Type.Optional(ProductSort),
  },
  { additionalProperties: false },
);
/** List parameters. */
export type ListProductsQuery = Static<typeof ListProductsQuery>;
