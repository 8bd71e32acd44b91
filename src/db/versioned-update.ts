import type { Kysely, Transaction } from 'kysely';

/** Which row, of which tenant, at which version the client read. */
export interface VersionedKey {
  tenantId: string;
  id: string;
  version: number;
}

/**
 * Optimistic concurrency: applies `changes` to the row only if it still has the version the
 * client read, in one conditional UPDATE. Resolves `false` when another write got there first
 * (the caller answers 409 with the current version).
 */
export async function updateIfVersion(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
  tx: Kysely<any> | Transaction<any>,
  table: string,
  key: VersionedKey,
  changes: Record<string, unknown>,
): Promise<boolean> {
  const updated = await tx
    .updateTable(table)
    .set(changes)
    .where('tenant_id', '=', key.tenantId)
    .where('id', '=', key.id)
    .where('version', '=', key.version)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}
