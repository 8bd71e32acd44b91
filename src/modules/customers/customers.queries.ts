import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { likeEscaped } from '../../db/like.js';
import { keysetPage, orderOf, type Page } from '../../db/keyset.js';
import { escapeLike, searchable } from '../../shared/text.js';
import { formatCnpj, formatCpf, onlyDigits } from '../../shared/documents.js';
import type { Customer, ListCustomersQuery } from './customers.schemas.js';

/** The customers table as Kysely sees it. */
export interface CustomersTables {
  customers: {
    id: string;
    tenant_id: string;
    kind: 'person' | 'company';
    name: string;
    /** Lower-case, accent-free name: what search and sorting use, the same on both engines. */
    name_search: string;
    document: string | null;
    email: string | null;
    phone: string | null;
    address: string | null;
    notes: string | null;
    active: number;
    version: number;
    created_at: string;
    updated_at: string;
  };
}

/** One customers row. */
export type CustomerRow = CustomersTables['customers'];

/** Kysely over the customers table. */
export function customersDb(db: Database): Kysely<CustomersTables> {
  return db.kysely as Kysely<CustomersTables>;
}

/** A row as the API shows it: the document formatted, flags as booleans, camelCase. */
export function toCustomer(row: CustomerRow): Customer {
  const document = row.document === null ? null : row.kind === 'person' ? formatCpf(row.document) : formatCnpj(row.document);
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    document,
    email: row.email,
    phone: row.phone,
    address: row.address,
    notes: row.notes,
    active: Boolean(row.active),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** One customer of a tenant, or undefined (also for another tenant's id). */
export async function findCustomer(db: Database, tenantId: string, id: string): Promise<Customer | undefined> {
  const row = await customersDb(db).selectFrom('customers').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toCustomer(row) : undefined;
}

type CustomerQuery = SelectQueryBuilder<CustomersTables, 'customers', CustomerRow>;

function applySearch(query: CustomerQuery, q: string): CustomerQuery {
  const term = `%${escapeLike(searchable(q))}%`;
  const digits = onlyDigits(q);
  return query.where((eb) =>
    eb.or([
      likeEscaped('name_search', term),
      likeEscaped('email', term),
      ...(digits.length >= 3 ? [eb(eb.ref('document'), 'like', eb.val(`${digits}%`))] : []),
    ]),
  );
}

/**
 * A page of a tenant's customers: optional search `q` over name, email and document, optional
 * `active` filter, keyset pagination on (sort column, id) so pages never skip or repeat rows.
 */
export async function listCustomers(db: Database, tenantId: string, params: ListCustomersQuery): Promise<Page<Customer>> {
  let query: CustomerQuery = customersDb(db).selectFrom('customers').selectAll().where('tenant_id', '=', tenantId);
  if (params.active !== undefined) query = query.where('active', '=', params.active ? 1 : 0);
  if (params.q) query = applySearch(query, params.q);
  return keysetPage(query, { order: orderOf(params.sort ?? 'name'), limit: params.limit ?? 20, cursor: params.cursor }, toCustomer);
}
