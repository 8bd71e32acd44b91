import { insertRow } from '../../db/insert-rows.js';
import { updateIfVersion } from '../../db/versioned-update.js';
import { defineCommand } from '../../resilience/command.js';
import { isValidCnpj, isValidCpf, onlyDigits } from '../../shared/documents.js';
import { newId } from '../../shared/ids.js';
import { customerNotFound, documentTaken, invalidDocument, versionConflict } from './customers.errors.js';
import { searchable } from '../../shared/text.js';
import { toCustomer, type CustomerRow, type CustomersTables } from './customers.queries.js';
import type { CreateCustomerBody, Customer, UpdateCustomerBody } from './customers.schemas.js';

/** Checks the document fits the kind and returns its digits (or null when absent). */
export function checkedDocument(kind: 'person' | 'company', document: string | null | undefined): string | null {
  if (document === null || document === undefined) return null;
  const valid = kind === 'person' ? isValidCpf(document) : isValidCnpj(document);
  if (!valid) throw invalidDocument(kind);
  return onlyDigits(document);
}

const conflicts = [{ table: 'customers', columns: ['tenant_id', 'document'], error: documentTaken }];

/** Creates a customer. */
export const createCustomer = defineCommand<CreateCustomerBody, Customer, CustomersTables>({
  name: 'customers.create',
  version: 1,
  conflicts,
  async handler(tx, payload, ctx) {
    const row: CustomerRow = {
      id: newId(),
      tenant_id: ctx.tenantId,
      kind: payload.kind,
      name: payload.name,
      name_search: searchable(payload.name),
      document: checkedDocument(payload.kind, payload.document),
      email: payload.email?.toLowerCase() ?? null,
      phone: payload.phone ?? null,
      address: payload.address ?? null,
      notes: payload.notes ?? null,
      active: 1,
      version: 1,
      created_at: ctx.now,
      updated_at: ctx.now,
    };
    await insertRow(tx, 'customers', row);
    return { status: 201, body: toCustomer(row), entity: 'customer', entityId: row.id };
  },
});

/** Payload of {@link updateCustomer}: the body plus the customer's id. */
export type UpdateCustomer = UpdateCustomerBody & { id: string };

/** Updates a customer if the client read its current version (optimistic concurrency). */
export const updateCustomer = defineCommand<UpdateCustomer, Customer, CustomersTables>({
  name: 'customers.update',
  version: 1,
  conflicts,
  async handler(tx, payload, ctx) {
    const current = await tx.selectFrom('customers').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).executeTakeFirst();
    if (!current) throw customerNotFound(payload.id);
    if (current.version !== payload.version) throw versionConflict(payload.version, current.version);
    const kind = payload.kind ?? current.kind;
    const name = payload.name ?? current.name;
    const changes = {
      kind,
      name,
      name_search: searchable(name),
      document: checkedDocument(kind, payload.document === undefined ? current.document : payload.document),
      email: payload.email === undefined ? current.email : (payload.email?.toLowerCase() ?? null),
      phone: payload.phone === undefined ? current.phone : payload.phone,
      address: payload.address === undefined ? current.address : payload.address,
      notes: payload.notes === undefined ? current.notes : payload.notes,
      active: payload.active === undefined ? current.active : payload.active ? 1 : 0,
      version: current.version + 1,
      updated_at: ctx.now,
    };
    // A concurrent update may have won between our read and our write.
    if (!(await updateIfVersion(tx, 'customers', { tenantId: ctx.tenantId, id: payload.id, version: payload.version }, changes))) {
      throw versionConflict(payload.version, current.version + 1);
    }
    const next: CustomerRow = { ...current, ...changes };
    return { status: 200, body: toCustomer(next), entity: 'customer', entityId: payload.id };
  },
});

/** Deletes a customer for good (admins; staff deactivate instead). */
export const deleteCustomer = defineCommand<{ id: string }, Customer, CustomersTables>({
  permission: 'delete',
  name: 'customers.delete',
  version: 1,
  async handler(tx, payload, ctx) {
    const current = await tx.selectFrom('customers').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).executeTakeFirst();
    if (!current) throw customerNotFound(payload.id);
    await tx.deleteFrom('customers').where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).execute();
    return { status: 200, body: toCustomer(current), entity: 'customer', entityId: payload.id };
  },
});
