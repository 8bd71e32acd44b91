import type { Kysely } from 'kysely';
import type { CoreTables } from '../../db/core-tables.js';
import type { Database } from '../../db/database.js';
import { decodeCursor, encodeCursor } from '../../shared/cursor.js';
import { reversedRange, unknownInstant } from './audit.errors.js';
import type { AuditEntry, ListAuditQuery } from './audit.schemas.js';

/** The core's `audit_log` table as Kysely sees it (written by the dispatcher, read here). */
export type AuditTables = Pick<CoreTables, 'audit_log'>;

/** One audit_log row. */
export type AuditRow = AuditTables['audit_log'];

/** Kysely over the audit_log table. */
export function auditDb(db: Database): Kysely<AuditTables> {
  return db.kysely as Kysely<AuditTables>;
}

/** A row as the API shows it, camelCase, without the tenant. */
export function toAuditEntry(row: Omit<AuditRow, 'tenant_id'>): AuditEntry {
  return {
    id: row.id,
    userId: row.user_id,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    requestId: row.request_id,
    createdAt: row.created_at,
  };
}

/**
 * An ISO 8601 date-time as the instant `created_at` holds (UTC, milliseconds), so it compares
 * right on SQLite too, where instants are text.
 */
function instantOf(value: string, field: 'from' | 'to'): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw unknownInstant(field);
  return new Date(time).toISOString();
}

/**
 * A page of a tenant's audit trail, newest first, keyset-paginated on (created_at, id) so pages
 * never skip or repeat rows. Filters: `entity`, `action`, `userId`, and `from`/`to` (inclusive).
 *
 * @throws {AppError} 400 `ERR_VALIDATION` when `from` is after `to` or the cursor is not ours.
 */
export async function listAudit(db: Database, tenantId: string, params: ListAuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const limit = params.limit ?? 20;
  const from = params.from === undefined ? undefined : instantOf(params.from, 'from');
  const to = params.to === undefined ? undefined : instantOf(params.to, 'to');
  if (from !== undefined && to !== undefined && from > to) throw reversedRange(params.from as string, params.to as string);

  let query = auditDb(db)
    .selectFrom('audit_log')
    .select(['id', 'user_id', 'action', 'entity', 'entity_id', 'request_id', 'created_at'])
    .where('tenant_id', '=', tenantId);
  if (params.entity) query = query.where('entity', '=', params.entity);
  if (params.action) query = query.where('action', '=', params.action);
  if (params.userId) query = query.where('user_id', '=', params.userId.toLowerCase());
  if (from !== undefined) query = query.where('created_at', '>=', from);
  if (to !== undefined) query = query.where('created_at', '<=', to);
  if (params.cursor) {
    const cursor = decodeCursor(params.cursor, 'timestamp');
    // A row comparison, which both engines can answer from the (tenant_id, …, created_at, id) indexes.
    query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(String(cursor.value), cursor.id.toLowerCase())));
  }
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = rows.length > limit ? page[page.length - 1] : undefined;
  return { items: page.map(toAuditEntry), nextCursor: last ? encodeCursor({ value: last.created_at, id: last.id }) : null };
}
