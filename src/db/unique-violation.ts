/** Which table and columns a unique-constraint violation was about. */
export interface UniqueViolation {
  table: string | undefined;
  columns: string[];
}

/**
 * Reads a unique-constraint violation from either engine's error: PostgreSQL 23505 (columns from
 * `detail`: "Key (tenant_id, document)=(…) already exists.") or SQLite's
 * "UNIQUE constraint failed: customers.tenant_id, customers.document". `undefined` for any other
 * error.
 */
export function uniqueViolationOf(error: unknown): UniqueViolation | undefined {
  const e = error as { code?: unknown; detail?: unknown; table?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return undefined;
  if (e.code === '23505') {
    const columns = /^Key \(([^)]+)\)=/.exec(typeof e.detail === 'string' ? e.detail : '')?.[1];
    return { table: typeof e.table === 'string' ? e.table : undefined, columns: columns ? columns.split(',').map((c) => c.trim().replace(/^"|"$/g, '')) : [] };
  }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const list = /UNIQUE constraint failed: (.+)$/.exec(typeof e.message === 'string' ? e.message : '')?.[1] ?? '';
    const qualified = list.split(',').map((c) => c.trim());
    return { table: qualified[0]?.split('.')[0], columns: qualified.map((c) => c.split('.').pop() ?? c) };
  }
  return undefined;
}
