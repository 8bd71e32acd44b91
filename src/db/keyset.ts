import type { SelectQueryBuilder } from 'kysely';
import { decodeCursor, encodeCursor, type CursorValueKind } from '../shared/cursor.js';

/** The sort orders lists offer: by name or by creation, `-` for descending. */
export type ListSort = 'name' | '-name' | 'createdAt' | '-createdAt';

/** How a list is ordered: the column (tie-broken by `id`), the direction, and its cursor's value kind. */
export interface KeysetOrder {
  column: string;
  descending: boolean;
  kind: CursorValueKind;
}

/** The order of a {@link ListSort}: `name` sorts on the searchable `name_search` column. */
export function orderOf(sort: ListSort): KeysetOrder {
  const descending = sort.startsWith('-');
  return sort.endsWith('ame') ? { column: 'name_search', descending, kind: 'text' } : { column: 'created_at', descending, kind: 'timestamp' };
}

/** A page of a list: the items and where the next page starts (`null` at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Runs one page of a keyset-paginated list: after the cursor's (value, id) position, in
 * `order`, `limit` rows. The position is a row-value comparison, `(column, id) > (value, id)`,
 * which both engines answer from an index on `(tenant_id, column, id)` (PostgreSQL uses it as
 * the scan's bound); so pages never skip or repeat a row, however deep.
 *
 * @throws {AppError} 400 `ERR_VALIDATION` for a cursor this list did not give out.
 */

export async function keysetPage<Row extends { id: string }, Item>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- builds on any table
  query: SelectQueryBuilder<any, any, Row>,
  options: { order: KeysetOrder; limit: number; cursor: string | undefined },
  toItem: (row: Row) => Item,
): Promise<Page<Item>> {
  const { order, limit } = options;
  const direction = order.descending ? 'desc' : 'asc';
  let q = query;
  if (options.cursor) {
    const cursor = decodeCursor(options.cursor, order.kind);
    q = q.where((eb) => eb(eb.refTuple(order.column, 'id'), order.descending ? '<' : '>', eb.tuple(cursor.value, cursor.id.toLowerCase())));
  }
  const rows = await q
    .orderBy(order.column, direction)
    .orderBy('id', direction)
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return {
    items: page.map(toItem),
    nextCursor: last ? encodeCursor({ value: (last as Record<string, string | number>)[order.column] as string | number, id: last.id }) : null,
  };
}
