// A text field's longest accepted value (its schema's maxLength) and its column's length (the
// migration's varchar(n)) are written in two places on purpose: a migration is history and must
// never change once applied, so a new length needs a new migration. This test keeps the two in
// step: on PostgreSQL, after every migration, each body field that is stored in a column of the
// same name accepts no more than the column holds, and no less.
import { sql } from 'kysely';
import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateUserBody } from '../../src/modules/auth/auth.schemas.js';
import { CreateCustomerBody } from '../../src/modules/customers/customers.schemas.js';
import { CreateProductBody } from '../../src/modules/products/products.schemas.js';
import { CreateLotBody, MovementBody } from '../../src/modules/stock/stock.schemas.js';
import { RegisterStudentBody } from '../../src/modules/students/students.schemas.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

/** Fields stored in another form than sent, so their lengths differ on purpose. */
const STORED_OTHERWISE: Record<string, string> = {
  'customers.document': 'sent formatted (up to 18 characters), stored as its 11 or 14 digits',
  'students.cpf': 'sent formatted (up to 14 characters), stored as its 11 digits',
  'users.password': 'stored as its scrypt hash, in password_hash',
};

const BODIES: Array<[table: string, body: TSchema]> = [
  ['users', CreateUserBody],
  ['customers', CreateCustomerBody],
  ['products', CreateProductBody],
  ['stock_lots', CreateLotBody],
  ['stock_movements', MovementBody],
  ['students', RegisterStudentBody],
];

/** The longest string a property's schema accepts, looking through Optional and `| null`. */
function maxLengthOf(schema: TSchema): number | undefined {
  if (typeof schema.maxLength === 'number') return schema.maxLength;
  const options = (schema.anyOf ?? schema.oneOf) as TSchema[] | undefined;
  return options?.map(maxLengthOf).find((n) => n !== undefined);
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

describe('column lengths', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'postgres' });
  });
  afterAll(() => t.close());

  it('each text field accepts exactly what its column holds', async () => {
    const { rows } = await sql<{ table_name: string; column_name: string; n: number | null }>`
      select table_name, column_name, character_maximum_length as n from information_schema.columns where table_schema = current_schema()`.execute(
      t.app.db.kysely,
    );
    const columns = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r.n]));
    const compared: string[] = [];
    const mismatches: string[] = [];
    for (const [table, body] of BODIES) {
      for (const [field, schema] of Object.entries(body.properties as Record<string, TSchema>)) {
        const accepted = maxLengthOf(schema);
        const key = `${table}.${snake(field)}`;
        // A uuid or date column has no length: its type, not a varchar(n), bounds it.
        if (accepted === undefined || STORED_OTHERWISE[`${table}.${field}`] || (columns.get(key) ?? null) === null) continue;
        compared.push(key);
        if (columns.get(key) !== accepted) mismatches.push(`${key}: the schema accepts ${accepted} characters, the column holds ${columns.get(key)}`);
      }
    }
    expect(mismatches).toEqual([]);
    // The comparison really ran: names, emails, phones, plans, notes…
    expect(compared.length).toBeGreaterThan(12);
  });
});
