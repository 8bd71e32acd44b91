import { describe, expect, it } from 'vitest';
import { uniqueViolationOf } from './unique-violation.js';

describe('uniqueViolationOf', () => {
  it('reads the table and columns of a PostgreSQL 23505', () => {
    const error = { code: '23505', table: 'customers', detail: 'Key (tenant_id, "document")=(t1, 123) already exists.' };
    expect(uniqueViolationOf(error)).toEqual({ table: 'customers', columns: ['tenant_id', 'document'] });
  });

  it('keeps a PostgreSQL 23505 without a readable detail or table', () => {
    expect(uniqueViolationOf({ code: '23505' })).toEqual({ table: undefined, columns: [] });
    expect(uniqueViolationOf({ code: '23505', table: 7, detail: 'something else: Key (a)=(1)' })).toEqual({ table: undefined, columns: [] });
  });

  it('reads the table and columns of SQLite’s UNIQUE and PRIMARY KEY failures', () => {
    const unique = { code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: customers.tenant_id, customers.document' };
    expect(uniqueViolationOf(unique)).toEqual({ table: 'customers', columns: ['tenant_id', 'document'] });
    const primary = { code: 'SQLITE_CONSTRAINT_PRIMARYKEY', message: 'UNIQUE constraint failed: idempotency_keys.tenant_id, idempotency_keys.key' };
    expect(uniqueViolationOf(primary)).toEqual({ table: 'idempotency_keys', columns: ['tenant_id', 'key'] });
  });

  it('still recognises a SQLite unique failure whose message it cannot read, naming no table', () => {
    for (const message of ['constraint failed', 42, undefined]) {
      const violation = uniqueViolationOf({ code: 'SQLITE_CONSTRAINT_UNIQUE', message });
      expect(violation).toBeDefined();
      expect(violation?.table || undefined).toBeUndefined();
    }
  });

  it('is undefined for any other error', () => {
    expect(uniqueViolationOf(null)).toBeUndefined();
    expect(uniqueViolationOf('23505')).toBeUndefined();
    expect(uniqueViolationOf({ code: '23503', detail: 'Key (a)=(1) is not present' })).toBeUndefined();
    expect(uniqueViolationOf({ code: 'SQLITE_CONSTRAINT_NOTNULL', message: 'NOT NULL constraint failed: customers.name' })).toBeUndefined();
  });
});
