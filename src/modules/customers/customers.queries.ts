import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { likeEscaped } from '../../db/like.js';
import { KeysetList, orderOf, type Page } from '../../db/keyset.js';
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

/** What a list of customers is filtered by: the tenant, active or not, and a search's patterns. */
type CustomerFilters = {
  readonly tenantId: string;
  /** 1 or 0. */
  readonly active: number | undefined;
  /** `%term%` for the name and email, escaped for LIKE. */
  readonly contains: string | undefined;
  /** `digits%` for the document, when the search has at least 3 digits. */
  readonly documentStartsWith: string | undefined;
};

const customersList = new KeysetList((db: Kysely<CustomersTables>, f: CustomerFilters) => {
  let query = db.selectFrom('customers').selectAll().where('tenant_id', '=', f.tenantId);
  if (f.active !== undefined) query = query.where('active', '=', f.active);
  if (f.contains !== undefined) {
    const { contains, documentStartsWith } = f;
    query = query.where((eb) =>
      eb.or([
        likeEscaped('name_search', contains),
        likeEscaped('email', contains),
        ...(documentStartsWith !== undefined ? [eb(eb.ref('document'), 'like', eb.val(documentStartsWith))] : []),
      ]),
    );
  }
  return query;
});

/**
 * A page of a tenant's customers: optional search `q` over name, email and document, optional
 * `active` filter, keyset pagination on (sort column, id) so pages never skip or repeat rows.
 */
export async function listCustomers(db: Database, tenantId: string, params: ListCustomersQuery): Promise<Page<Customer>> {
  const digits = params.q ? onlyDigits(params.q) : '';
  const filters: CustomerFilters = {
    tenantId,
    active: params.active === undefined ? undefined : params.active ? 1 : 0,
    contains: params.q ? `%${escapeLike(searchable(params.q))}%` : undefined,
    documentStartsWith: params.q && digits.length >= 3 ? `${digits}%` : undefined,
  };
  return customersList.page(customersDb(db), filters, { order: orderOf(params.sort ?? 'name'), limit: params.limit ?? 20, cursor: params.cursor }, toCustomer);
}
