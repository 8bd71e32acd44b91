// The dispatcher's promise: concurrent requests with one Idempotency-Key have one effect. Many
// rounds, because a race shows up only in some interleavings (it did: a DELETE of the key that
// was not limited to expired keys let a second request run the write on PostgreSQL).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

const ROUNDS = 100;
const CONCURRENT = 20;

describe.each(ENGINES)('Idempotency-Key under concurrency on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine });
    tenant = await createTenantWithUsers(t, 'idem');
  });
  afterAll(() => t.close());

  it(`${ROUNDS} rounds of ${CONCURRENT} concurrent requests with one key: one row and one outcome each round`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const key = randomUUID();
      // no unique column involved: a second effect would be a duplicate row, not a 409
      const body = { kind: 'person', name: `Round ${round}` };
      const responses = await Promise.all(
        Array.from({ length: CONCURRENT }, () => call(t, tenant, { method: 'POST', url: '/api/customers', body, headers: { 'idempotency-key': key } })),
      );
      expect(responses.map((r) => r.statusCode)).toEqual(Array(CONCURRENT).fill(201));
      expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    }
    const rows = await t.app.db.kysely.selectFrom('customers').select(['name']).where('tenant_id', '=', tenant.id).execute();
    expect(rows).toHaveLength(ROUNDS);
    const audit = await t.app.db.kysely
      .selectFrom('audit_log')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'customers.create')
      .execute();
    expect(audit).toHaveLength(ROUNDS);
  });
});
