// Every list, filter and lookup path must be served by an index led by tenant_id. The test
// records the SQL the API really runs for each main read, then EXPLAINs each statement on
// PostgreSQL with sequential scans disabled: a statement no index can serve still shows a Seq
// Scan.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

describe('main queries use an index on PostgreSQL', () => {
  let database: TestDatabase;
  let t: TestApp;
  let tenant: TestTenant;
  let recording: Statement[] | undefined;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await buildTestApp({
      engine: 'postgres',
      databaseUrl: database.url,
      onQuery: (sql, parameters) => recording?.push({ sql, parameters }),
    });
    tenant = await createTenantWithUsers(t, 'idx');
    const customer = await call(t, tenant, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: 'Indexed', document: '52998224725' } });
    ids.customer = customer.json().id;
    const product = await call(t, tenant, { method: 'POST', url: '/api/products', body: { sku: 'FAR-1', name: 'Farinha', unit: 'kg', minStock: 5 } });
    ids.product = product.json().id;
    const lot = await call(t, tenant, {
      method: 'POST',
      url: '/api/stock/lots',
      body: { productId: ids.product, code: 'QR-1', quantity: 3, expiresOn: '2099-01-01' },
    });
    ids.lot = lot.json().id;
    const student = await call(t, tenant, { method: 'POST', url: '/api/students', body: { name: 'Aluna', birthDate: '2000-01-01', plan: 'Manhã' } });
    ids.student = student.json().id;
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  async function plansOf(c: Call): Promise<Array<{ sql: string; plan: string }>> {
    recording = [];
    const response = await call(t, tenant, c);
    const statements = recording.filter((s) => /^\s*select/i.test(s.sql));
    recording = undefined;
    expect(response.statusCode, `${c.method} ${c.url}: ${response.body}`).toBeLessThan(300);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plans = [];
      for (const s of statements) {
        const result = await client.query(`EXPLAIN ${s.sql}`, s.parameters as unknown[]);
        plans.push({ sql: s.sql, plan: result.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n') });
      }
      return plans;
    } finally {
      await client.end();
    }
  }

  // `list`: a keyset page, which its index must serve in order (no Sort node).
  const reads = (): Array<Call & { list?: boolean }> => [
    { method: 'GET', url: '/api/customers?limit=20', list: true },
    { method: 'GET', url: '/api/customers?limit=20&sort=-createdAt', list: true },
    { method: 'GET', url: `/api/customers/${ids.customer}` },
    { method: 'GET', url: '/api/auth/users?limit=20', list: true },
    { method: 'GET', url: '/api/auth/me' },
    { method: 'GET', url: '/api/products?limit=20', list: true },
    { method: 'GET', url: `/api/products/${ids.product}` },
    { method: 'GET', url: `/api/stock/lots?productId=${ids.product}`, list: true },
    { method: 'GET', url: `/api/stock/lots/${ids.lot}` },
    { method: 'GET', url: `/api/stock/movements?lotId=${ids.lot}`, list: true },
    { method: 'GET', url: '/api/stock/expiring?days=30', list: true },
    { method: 'GET', url: '/api/students?limit=20', list: true },
    { method: 'GET', url: '/api/students?limit=20&sort=name', list: true },
    { method: 'GET', url: `/api/students/${ids.student}` },
    { method: 'GET', url: '/api/audit?limit=20', list: true },
    { method: 'GET', url: '/api/audit?limit=20&entity=student', list: true },
  ];

  it('each statement of each main read avoids a sequential scan', async () => {
    for (const read of reads()) {
      const plans = await plansOf(read);
      expect(plans.length, `${read.url} ran no SELECT`).toBeGreaterThan(0);
      for (const { sql, plan } of plans) {
        expect(plan, `${read.method} ${read.url}\n${sql}\n${plan}`).not.toMatch(/Seq Scan/);
        expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
        if (read.list && /order by/i.test(sql)) expect(plan, `${read.url} sorts instead of reading its index in order\n${plan}`).not.toMatch(/Sort/);
      }
    }
  });
});
