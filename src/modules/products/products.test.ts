import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithUsers, type TestTenant } from '../../../test/support/auth.js';
import { call, expectScenario, type Scenario } from '../../../test/support/api.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { ENGINES } from '../../../test/support/test-database.js';

const valid = { sku: 'far-trigo-1kg', name: 'Farinha de Trigo', category: 'Secos', unit: 'kg', minStock: 2.5 };
/** A cursor that decodes but was not given out by the server. */
const forged = (value: unknown, id: unknown) => Buffer.from(JSON.stringify([value, id])).toString('base64url');

describe.each(ENGINES)('products on %s', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let flourId: string;

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    [a, b] = await Promise.all([createTenantWithUsers(t, 'a'), createTenantWithUsers(t, 'b')]);
    const created = await call(t, a, { method: 'POST', url: '/api/products', body: valid, as: 'staff' });
    expect(created.statusCode, created.body).toBe(201);
    flourId = created.json().id;
  });
  afterAll(() => t.close());

  it('creates a product: SKU upper-cased, minimum stock kept in milli-units, version 1, audited', async () => {
    const response = await call(t, a, { method: 'GET', url: `/api/products/${flourId}`, as: 'viewer' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: flourId,
      sku: 'FAR-TRIGO-1KG',
      name: 'Farinha de Trigo',
      category: 'Secos',
      unit: 'kg',
      minStock: 2.5,
      active: true,
      version: 1,
    });
    expect(Object.keys(response.json()).sort()).toEqual(['active', 'category', 'createdAt', 'id', 'minStock', 'name', 'sku', 'unit', 'updatedAt', 'version']);
    const stored = await t.app.db.kysely
      .selectFrom('products')
      .select(['sku', 'min_stock', 'name_search', 'tenant_id'])
      .where('id', '=', flourId)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ sku: 'FAR-TRIGO-1KG', min_stock: 2500, name_search: 'farinha de trigo', tenant_id: a.id });
    const audit = await t.app.db.kysely.selectFrom('audit_log').selectAll().where('entity_id', '=', flourId).execute();
    expect(audit).toMatchObject([{ action: 'products.create', entity: 'product', tenant_id: a.id, user_id: a.userIds.staff }]);
  });

  const scenarios = (): Scenario[] => [
    { name: 'no category, no minimum', method: 'POST', url: '/api/products', body: { sku: 'OVO-12', name: 'Ovos', unit: 'un' }, status: 201 },
    {
      name: 'minimum with 3 decimals',
      method: 'POST',
      url: '/api/products',
      body: { sku: 'FERM-10G', name: 'Fermento', unit: 'g', minStock: 0.125 },
      status: 201,
    },
    {
      name: 'same SKU in another case',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'FAR-TRIGO-1kg' },
      status: 409,
      code: 'ERR_PRODUCT_SKU_TAKEN',
    },
    { name: 'missing fields', method: 'POST', url: '/api/products', body: {}, status: 400, code: 'ERR_VALIDATION', fields: ['/sku', '/name', '/unit'] },
    {
      name: 'unknown field',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-1', tenantId: 'x' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/tenantId'],
    },
    {
      name: 'wrong types',
      method: 'POST',
      url: '/api/products',
      body: { sku: 12, name: 42, unit: 'ton', minStock: '2' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/sku', '/name', '/unit', '/minStock'],
    },
    {
      name: 'name too long',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-2', name: 'x'.repeat(201) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'SKU too long',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X'.repeat(65) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/sku'],
    },
    {
      name: 'SKU with spaces',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'far trigo' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/sku'],
    },
    {
      name: 'empty name',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-3', name: '' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'category too long',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-4', category: 'c'.repeat(101) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/category'],
    },
    {
      name: 'negative minimum',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-5', minStock: -1 },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/minStock'],
    },
    {
      name: 'minimum with 4 decimals',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-6', minStock: 1.2345 },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/minStock'],
    },
    {
      name: 'minimum over 1e9',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-7', minStock: 1e9 + 1 },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/minStock'],
    },
    {
      name: 'null unit',
      method: 'POST',
      url: '/api/products',
      body: { ...valid, sku: 'X-8', unit: null },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/unit'],
    },
    {
      name: 'malformed JSON',
      method: 'POST',
      url: '/api/products',
      raw: { payload: '{"sku":', contentType: 'application/json' },
      status: 400,
      code: 'ERR_MALFORMED_JSON',
    },
    {
      name: 'not JSON',
      method: 'POST',
      url: '/api/products',
      raw: { payload: 'sku=X', contentType: 'text/plain' },
      status: 415,
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'over 1 MiB',
      method: 'POST',
      url: '/api/products',
      raw: { payload: JSON.stringify({ ...valid, name: 'y'.repeat(1_100_000) }), contentType: 'application/json' },
      status: 413,
      code: 'ERR_BODY_TOO_LARGE',
    },
    { name: 'id not a uuid', method: 'GET', url: '/api/products/123', status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
    { name: 'unknown id', method: 'GET', url: `/api/products/${randomUUID()}`, status: 404, code: 'ERR_PRODUCT_NOT_FOUND' },
    { name: 'limit 0', method: 'GET', url: '/api/products?limit=0', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit 101', method: 'GET', url: '/api/products?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit not a number', method: 'GET', url: '/api/products?limit=ten', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'malformed cursor', method: 'GET', url: '/api/products?cursor=!!notacursor', status: 400, code: 'ERR_VALIDATION', fields: ['/cursor'] },
    {
      name: 'forged cursor id',
      method: 'GET',
      url: `/api/products?cursor=${forged('a', 'not-a-uuid')}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    {
      name: 'forged cursor instant',
      method: 'GET',
      url: `/api/products?sort=createdAt&cursor=${forged('yesterday', randomUUID())}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    {
      name: 'forged cursor number',
      method: 'GET',
      url: `/api/products?sort=-createdAt&cursor=${forged(42, randomUUID())}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    { name: 'unknown sort', method: 'GET', url: '/api/products?sort=price', status: 400, code: 'ERR_VALIDATION' },
    { name: 'active not a boolean', method: 'GET', url: '/api/products?active=maybe', status: 400, code: 'ERR_VALIDATION', fields: ['/active'] },
    { name: 'unknown query param', method: 'GET', url: '/api/products?tenant=b', status: 400, code: 'ERR_VALIDATION' },
    {
      name: 'update without version',
      method: 'PATCH',
      url: `/api/products/${flourId}`,
      body: { name: 'X' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/version'],
    },
    {
      name: 'update unknown field',
      method: 'PATCH',
      url: `/api/products/${flourId}`,
      body: { version: 1, price: 3 },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/price'],
    },
    {
      name: 'update minimum with 4 decimals',
      method: 'PATCH',
      url: `/api/products/${flourId}`,
      body: { version: 1, minStock: 0.0001 },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/minStock'],
    },
    {
      name: 'update unknown id',
      method: 'PATCH',
      url: `/api/products/${randomUUID()}`,
      body: { version: 1, name: 'X' },
      status: 404,
      code: 'ERR_PRODUCT_NOT_FOUND',
    },
    {
      name: 'update not JSON',
      method: 'PATCH',
      url: `/api/products/${flourId}`,
      raw: { payload: 'version=1', contentType: 'text/plain' },
      status: 415,
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    },
    { name: 'delete unknown id', method: 'DELETE', url: `/api/products/${randomUUID()}`, status: 404, code: 'ERR_PRODUCT_NOT_FOUND' },
    { name: 'delete id not a uuid', method: 'DELETE', url: '/api/products/abc', status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
    { name: 'no token', method: 'GET', url: '/api/products', as: 'anonymous', status: 401, code: 'ERR_AUTH_REQUIRED' },
  ];

  it('answers each scenario with its status and code', async () => {
    for (const scenario of scenarios()) await expectScenario(t, a, scenario, expect);
    // the rejected writes left nothing behind
    const skus = await t.app.db.kysely.selectFrom('products').select('sku').where('tenant_id', '=', a.id).where('sku', 'like', 'X%').execute();
    expect(skus).toEqual([]);
    expect((await call(t, a, { method: 'GET', url: `/api/products/${flourId}` })).json()).toMatchObject({
      version: 1,
      name: 'Farinha de Trigo',
      minStock: 2.5,
    });
  });

  it.each([
    ['viewer', 'POST', 403],
    ['staff', 'POST', 201],
    ['admin', 'POST', 201],
    ['owner', 'POST', 201],
    ['viewer', 'PATCH', 403],
    ['staff', 'PATCH', 200],
    ['admin', 'PATCH', 200],
    ['owner', 'PATCH', 200],
    ['viewer', 'DELETE', 403],
    ['staff', 'DELETE', 403],
    ['admin', 'DELETE', 200],
    ['owner', 'DELETE', 200],
  ] as const)('role %s %s → %i', async (role, method, status) => {
    const created = await call(t, a, {
      method: 'POST',
      url: '/api/products',
      body: { sku: `ROLE-${role}-${method}`, name: `Role ${role} ${method}`, unit: 'un' },
      as: 'owner',
    });
    const id = created.json().id as string;
    const c =
      method === 'POST'
        ? { method, url: '/api/products', body: { sku: `BY-${role}`, name: 'By role', unit: 'un' } }
        : method === 'PATCH'
          ? { method, url: `/api/products/${id}`, body: { version: 1, category: 'changed' } }
          : { method, url: `/api/products/${id}` };
    const response = await call(t, a, { ...c, as: role });
    expect(response.statusCode).toBe(status);
    if (status === 403) expect(response.json()).toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', permission: method === 'DELETE' ? 'delete' : 'write' });
    const stored = await t.app.db.kysely.selectFrom('products').select(['version']).where('id', '=', id).executeTakeFirst();
    if (method === 'PATCH') expect(stored?.version).toBe(status === 200 ? 2 : 1);
    if (method === 'DELETE') expect(stored === undefined).toBe(status === 200);
  });

  it('tenant isolation: tenant B using tenant A ids gets 404 and lists never show A rows', async () => {
    for (const c of [
      { method: 'GET', url: `/api/products/${flourId}` },
      { method: 'PATCH', url: `/api/products/${flourId}`, body: { version: 1, name: 'Hijacked' } },
      { method: 'DELETE', url: `/api/products/${flourId}` },
    ] as const) {
      const response = await call(t, b, c);
      expect(response.statusCode, `${c.method} ${c.url}`).toBe(404);
      expect(response.json().code).toBe('ERR_PRODUCT_NOT_FOUND');
    }
    for (const url of ['/api/products?limit=100', '/api/products?q=farinha', '/api/products?q=FAR-TRIGO', '/api/products?category=Secos']) {
      expect((await call(t, b, { method: 'GET', url })).json().items, url).toEqual([]);
    }
    // the same SKU may exist in another tenant
    expect((await call(t, b, { method: 'POST', url: '/api/products', body: valid })).statusCode).toBe(201);
    expect((await call(t, a, { method: 'GET', url: `/api/products/${flourId}` })).json()).toMatchObject({ name: 'Farinha de Trigo', version: 1 });
  });

  it('searches by name (case and accents ignored) or SKU, filters by category and active', async () => {
    const c = await createTenantWithUsers(t, 'search');
    for (const body of [
      { sku: 'ACU-CRISTAL', name: 'Açúcar Cristal', category: 'Secos', unit: 'kg' },
      { sku: 'LEITE-INT', name: 'Leite Integral', category: 'Laticínios', unit: 'l' },
      { sku: 'QJO-50%', name: 'Queijo 50% gordura', category: 'Laticínios', unit: 'kg' },
    ]) {
      // QJO-50% is not a valid SKU; the product goes in as QJO-50
      const response = await call(t, c, { method: 'POST', url: '/api/products', body: { ...body, sku: body.sku.replace('%', '') } });
      expect(response.statusCode).toBe(201);
    }
    const names = async (query: string) =>
      (await call(t, c, { method: 'GET', url: `/api/products?${query}` })).json().items.map((p: { name: string }) => p.name);
    expect(await names('q=ACUCAR')).toEqual(['Açúcar Cristal']);
    expect(await names('q=leite-i')).toEqual(['Leite Integral']);
    expect(await names('q=50%25')).toEqual(['Queijo 50% gordura']);
    expect(await names('q=%25')).toEqual(['Queijo 50% gordura']);
    expect(await names('q=_')).toEqual([]);
    expect(await names('category=Latic%C3%ADnios')).toEqual(['Leite Integral', 'Queijo 50% gordura']);
    const leite = (await call(t, c, { method: 'GET', url: '/api/products?q=leite' })).json().items[0];
    expect((await call(t, c, { method: 'PATCH', url: `/api/products/${leite.id}`, body: { version: 1, active: false } })).statusCode).toBe(200);
    expect(await names('active=false')).toEqual(['Leite Integral']);
    expect(await names('active=true')).toEqual(['Açúcar Cristal', 'Queijo 50% gordura']);
  });

  it('pages with a keyset cursor without skipping or repeating, in each sort order', async () => {
    const c = await createTenantWithUsers(t, 'paging');
    for (let i = 0; i < 7; i++) await call(t, c, { method: 'POST', url: '/api/products', body: { sku: `P-${i}`, name: `Page ${i % 3} ${i}`, unit: 'un' } });
    for (const sort of ['name', '-name', 'createdAt', '-createdAt']) {
      const all = (await call(t, c, { method: 'GET', url: `/api/products?limit=100&sort=${sort}` })).json().items.map((p: { id: string }) => p.id);
      expect(all).toHaveLength(7);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
          await call(t, c, { method: 'GET', url: `/api/products?limit=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}` })
        ).json();
        paged.push(...page.items.map((p) => p.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged, sort).toEqual(all);
    }
  });

  it('updates with optimistic concurrency: a stale version gets 409 with the current one; a taken SKU is 409', async () => {
    const created = (await call(t, a, { method: 'POST', url: '/api/products', body: { sku: 'LEITE-1L', name: 'Leite', unit: 'l' } })).json();
    const first = await call(t, a, { method: 'PATCH', url: `/api/products/${created.id}`, body: { version: 1, minStock: 12.75, category: 'Laticínios' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ version: 2, minStock: 12.75, category: 'Laticínios' });
    const stale = await call(t, a, { method: 'PATCH', url: `/api/products/${created.id}`, body: { version: 1, name: 'Leite B' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'ERR_PRODUCT_VERSION_CONFLICT', currentVersion: 2 });
    const taken = await call(t, a, { method: 'PATCH', url: `/api/products/${created.id}`, body: { version: 2, sku: 'far-trigo-1kg' } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('ERR_PRODUCT_SKU_TAKEN');
    const cleared = await call(t, a, { method: 'PATCH', url: `/api/products/${created.id}`, body: { version: 2, category: null, minStock: 0 } });
    expect(cleared.json()).toMatchObject({ version: 3, category: null, minStock: 0, sku: 'LEITE-1L' });
    const stored = await t.app.db.kysely.selectFrom('products').select(['min_stock', 'version']).where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ min_stock: 0, version: 3 });
  });

  it('concurrent updates of one version: exactly one wins', async () => {
    const created = (await call(t, a, { method: 'POST', url: '/api/products', body: { sku: 'RACE', name: 'Race', unit: 'un' } })).json();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(t, a, { method: 'PATCH', url: `/api/products/${created.id}`, body: { version: 1, name: `writer ${i}` } })),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(7);
  });

  it('concurrent creates of one SKU: exactly one wins, the others get ERR_PRODUCT_SKU_TAKEN', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call(t, a, { method: 'POST', url: '/api/products', body: { sku: 'DUP-1', name: `Dup ${i}`, unit: 'un' } })),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409 && r.json().code === 'ERR_PRODUCT_SKU_TAKEN')).toHaveLength(5);
  });

  it('deletes a product without stock for good, audited', async () => {
    const created = (await call(t, a, { method: 'POST', url: '/api/products', body: { sku: 'GONE', name: 'Gone', unit: 'un' } })).json();
    const deleted = await call(t, a, { method: 'DELETE', url: `/api/products/${created.id}`, as: 'admin' });
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toMatchObject({ id: created.id, sku: 'GONE' });
    expect((await call(t, a, { method: 'GET', url: `/api/products/${created.id}` })).statusCode).toBe(404);
    const audit = await t.app.db.kysely.selectFrom('audit_log').select(['action', 'user_id']).where('entity_id', '=', created.id).orderBy('action').execute();
    expect(audit).toEqual([
      { action: 'products.create', user_id: a.userIds.owner },
      { action: 'products.delete', user_id: a.userIds.admin },
    ]);
  });
});
