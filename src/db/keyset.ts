import { sql, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { decodeCursor, encodeCursor, type CursorValueKind } from '../shared/cursor.js';
import { CompiledOnce, type QueryValues } from './compiled-once.js';

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

/** Where a page starts and how many rows it reads: the values every keyset list adds to its filters. */
interface PageBounds {
  readonly afterValue: string | number | undefined;
  readonly afterId: string | undefined;
  readonly take: number;
}

/**
 * A keyset-paginated list of one table. `filtered` builds the list's query from its filters
 * (the tenant, a status, a search pattern); {@link KeysetList.page} adds the position after the
 * cursor, the order and the limit. The query is compiled once per shape (see
 * {@link CompiledOnce}, whose rules `filtered` follows: a filter present or `undefined`, each
 * put into the query as it is), so a page costs binding its values, not building SQL.
 */
export class KeysetList<DB, F extends QueryValues, Row extends { id: string }> {
  readonly #queries: CompiledOnce<DB, F & PageBounds>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the query's table and selection are the caller's
  constructor(filtered: (db: Kysely<DB>, filters: F) => SelectQueryBuilder<DB, any, Row>) {
    this.#queries = new CompiledOnce<DB, F & PageBounds>((db, values, shape) => {
      const [column, direction] = shape.split(' ') as [string, 'asc' | 'desc'];
      let query = filtered(db, values);
      if (values.afterValue !== undefined) {
        const after = sql<SqlBool>`(${sql.ref(column)}, ${sql.ref('id')}) ${sql.raw(direction === 'desc' ? '<' : '>')} (${values.afterValue}, ${values.afterId})`;
        query = query.where(after);
      }
      return query
        .orderBy(column as never, direction)
        .orderBy('id' as never, direction)
        .limit(values.take);
    });
  }

  /**
   * One page: after the cursor's (value, id) position, in `order`, `limit` rows. The position is
   * a row-value comparison, `(column, id) > (value, id)`, which both engines answer from an index
   * on `(tenant_id, column, id)` (PostgreSQL uses it as the scan's bound); so pages never skip
   * or repeat a row, however deep.
   *
   * @throws {AppError} 400 `ERR_VALIDATION` for a cursor this list did not give out.
   */
  async page<Item>(
    db: Kysely<DB>,
    filters: F,
    options: { order: KeysetOrder; limit: number; cursor: string | undefined },
    toItem: (row: Row) => Item,
  ): Promise<Page<Item>> {
    const { order, limit } = options;
    const cursor = options.cursor ? decodeCursor(options.cursor, order.kind) : undefined;
    const bounds: PageBounds = { afterValue: cursor?.value, afterId: cursor?.id.toLowerCase(), take: limit + 1 };
    const compiled = this.#queries.compiled(db, `${order.column} ${order.descending ? 'desc' : 'asc'}`, { ...filters, ...bounds });
    const { rows } = await db.executeQuery<Row>(compiled);
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return {
      items: page.map(toItem),
      nextCursor: last ? encodeCursor({ value: (last as unknown as Record<string, string | number>)[order.column] as string | number, id: last.id }) : null,
    };
  }
}
