import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithUsers, type TestTenant } from '../../../test/support/auth.js';
import { call, expectScenario, type Scenario } from '../../../test/support/api.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { ENGINES } from '../../../test/support/test-database.js';

const valid = { kind: 'person', name: 'Ana Souza', document: '529.982.247-25', email: 'Ana@Example.com', phone: '(11) 98765-4321' };

describe.each(ENGINES)('customers on %s', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let anaId: string;

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    [a, b] = await Promise.all([createTenantWithUsers(t, 'a'), createTenantWithUsers(t, 'b')]);
    const created = await call(t, a, { method: 'POST', url: '/api/customers', body: valid, as: 'staff' });
    expect(created.statusCode).toBe(201);
    anaId = created.json().id;
  });
  afterAll(() => t.close());

  it('creates a customer: document stored as digits, shown formatted, email lower-cased, version 1, audited', async () => {
    const response = await call(t, a, { method: 'GET', url: `/api/customers/${anaId}`, as: 'viewer' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: anaId,
      kind: 'person',
      name: 'Ana Souza',
      document: '529.982.247-25',
      email: 'ana@example.com',
      active: true,
      version: 1,
    });
    expect(Object.keys(response.json()).sort()).toEqual([
      'active',
      'address',
      'createdAt',
      'document',
      'email',
      'id',
      'kind',
      'name',
      'notes',
      'phone',
      'updatedAt',
      'version',
    ]);
    const stored = await t.app.db.kysely.selectFrom('customers').select('document').where('id', '=', anaId).executeTakeFirstOrThrow();
    expect(stored.document).toBe('52998224725');
    const audit = await t.app.db.kysely.selectFrom('audit_log').selectAll().where('entity_id', '=', anaId).execute();
    expect(audit).toMatchObject([{ action: 'customers.create', entity: 'customer', tenant_id: a.id, user_id: a.userIds.staff }]);
  });

  const scenarios = (): Scenario[] => [
    {
      name: 'company with CNPJ',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'company', name: 'Padaria Central', document: '11.222.333/0001-81' },
      status: 201,
    },
    { name: 'no document', method: 'POST', url: '/api/customers', body: { kind: 'person', name: 'Walk-in' }, status: 201 },
    {
      name: 'same document',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: 'Other', document: '52998224725' },
      status: 409,
      code: 'ERR_CUSTOMER_DOCUMENT_TAKEN',
    },
    {
      name: 'invalid CPF',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: 'X', document: '529.982.247-24' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/document'],
    },
    {
      name: 'CNPJ for a person',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: 'X', document: '11.222.333/0001-81' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/document'],
    },
    {
      name: 'invalid CNPJ',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'company', name: 'X', document: '11.222.333/0001-82' },
      status: 400,
      code: 'ERR_VALIDATION',
    },
    { name: 'missing name and kind', method: 'POST', url: '/api/customers', body: {}, status: 400, code: 'ERR_VALIDATION', fields: ['/name', '/kind'] },
    {
      name: 'unknown field',
      method: 'POST',
      url: '/api/customers',
      body: { ...valid, document: undefined, tenantId: 'x' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/tenantId'],
    },
    {
      name: 'wrong types',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'alien', name: 42 },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/kind', '/name'],
    },
    {
      name: 'name too long',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: 'x'.repeat(201) },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'blank name',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: '   ' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'notes of spaces only',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: 'Ana', notes: ' \n ' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/notes'],
    },
    {
      name: 'a control character in the name',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: 'Ana\u0007' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/name'],
    },
    {
      name: 'bad email',
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'person', name: 'X', email: 'not-an-email' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/email'],
    },
    {
      name: 'malformed JSON',
      method: 'POST',
      url: '/api/customers',
      raw: { payload: '{"kind":', contentType: 'application/json' },
      status: 400,
      code: 'ERR_MALFORMED_JSON',
    },
    {
      name: 'not JSON',
      method: 'POST',
      url: '/api/customers',
      raw: { payload: 'kind=person', contentType: 'text/plain' },
      status: 415,
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'over 1 MiB',
      method: 'POST',
      url: '/api/customers',
      raw: { payload: JSON.stringify({ kind: 'person', name: 'x', notes: 'y'.repeat(1_100_000) }), contentType: 'application/json' },
      status: 413,
      code: 'ERR_BODY_TOO_LARGE',
    },
    { name: 'id not a uuid', method: 'GET', url: '/api/customers/123', status: 400, code: 'ERR_VALIDATION', fields: ['/id'] },
    { name: 'unknown id', method: 'GET', url: `/api/customers/${randomUUID()}`, status: 404, code: 'ERR_CUSTOMER_NOT_FOUND' },
    { name: 'limit 0', method: 'GET', url: '/api/customers?limit=0', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit 101', method: 'GET', url: '/api/customers?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'malformed cursor', method: 'GET', url: '/api/customers?cursor=!!notacursor', status: 400, code: 'ERR_VALIDATION', fields: ['/cursor'] },
    { name: 'unknown sort', method: 'GET', url: '/api/customers?sort=price', status: 400, code: 'ERR_VALIDATION' },
    { name: 'unknown query param', method: 'GET', url: '/api/customers?tenant=b', status: 400, code: 'ERR_VALIDATION' },
    { name: 'no token', method: 'GET', url: '/api/customers', as: 'anonymous', status: 401, code: 'ERR_AUTH_REQUIRED' },
    {
      name: 'bad token',
      method: 'GET',
      url: '/api/customers',
      as: 'anonymous',
      headers: { authorization: 'Bearer abc.def.ghi' },
      status: 401,
      code: 'ERR_AUTH_TOKEN_INVALID',
    },
  ];

  it('answers each scenario with its status and code', async () => {
    for (const scenario of scenarios()) await expectScenario(t, a, scenario, expect);
  });

  it.each([
    ['viewer', 'POST', 403],
    ['staff', 'POST', 201],
    ['admin', 'POST', 201],
    ['owner', 'POST', 201],
    ['viewer', 'PATCH', 403],
    ['staff', 'PATCH', 200],
    ['staff', 'DELETE', 403],
    ['viewer', 'DELETE', 403],
    ['admin', 'DELETE', 200],
    ['owner', 'DELETE', 200],
  ] as const)('role %s %s → %i', async (role, method, status) => {
    const created = await call(t, a, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: `Role ${role} ${method}` }, as: 'owner' });
    const id = created.json().id as string;
    const c =
      method === 'POST'
        ? { method, url: '/api/customers', body: { kind: 'person', name: 'By role' } }
        : method === 'PATCH'
          ? { method, url: `/api/customers/${id}`, body: { version: 1, notes: 'changed' } }
          : { method, url: `/api/customers/${id}` };
    const response = await call(t, a, { ...c, as: role });
    expect(response.statusCode).toBe(status);
    if (status === 403) expect(response.json()).toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', permission: method === 'DELETE' ? 'delete' : 'write' });
  });

  it('tenant isolation: tenant B using tenant A ids gets 404 and lists never show A rows', async () => {
    for (const c of [
      { method: 'GET', url: `/api/customers/${anaId}` },
      { method: 'PATCH', url: `/api/customers/${anaId}`, body: { version: 1, name: 'Hijacked' } },
      { method: 'DELETE', url: `/api/customers/${anaId}` },
    ] as const) {
      const response = await call(t, b, c);
      expect(response.statusCode, `${c.method} ${c.url}`).toBe(404);
      expect(response.json().code).toBe('ERR_CUSTOMER_NOT_FOUND');
    }
    const list = await call(t, b, { method: 'GET', url: '/api/customers?limit=100' });
    expect(list.json().items).toEqual([]);
    const search = await call(t, b, { method: 'GET', url: '/api/customers?q=529982' });
    expect(search.json().items).toEqual([]);
    // the same document may exist in another tenant
    expect((await call(t, b, { method: 'POST', url: '/api/customers', body: valid })).statusCode).toBe(201);
    expect((await call(t, a, { method: 'GET', url: `/api/customers/${anaId}` })).json().name).toBe('Ana Souza');
  });

  it('searches by name (case and accents ignored), document digits and email', async () => {
    await call(t, a, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: 'José Ávila', email: 'jose@avila.com.br' } });
    const byName = await call(t, a, { method: 'GET', url: '/api/customers?q=JOSE%20avila' });
    expect(byName.json().items.map((c: { name: string }) => c.name)).toEqual(['José Ávila']);
    const byDocument = await call(t, a, { method: 'GET', url: '/api/customers?q=529.982' });
    expect(byDocument.json().items.map((c: { id: string }) => c.id)).toEqual([anaId]);
    const byEmail = await call(t, a, { method: 'GET', url: '/api/customers?q=avila.com' });
    expect(byEmail.json().items).toHaveLength(1);
    const wildcard = await call(t, a, { method: 'GET', url: '/api/customers?q=%25' });
    expect(wildcard.json().items).toEqual([]);
  });

  it('pages with a keyset cursor without skipping or repeating, in each sort order', async () => {
    for (let i = 0; i < 7; i++) await call(t, b, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: `Page ${i % 3} ${i}` } });
    for (const sort of ['name', '-name', 'createdAt', '-createdAt']) {
      const all = (await call(t, b, { method: 'GET', url: `/api/customers?limit=100&sort=${sort}` })).json().items.map((c: { id: string }) => c.id);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Array<{ id: string }>; nextCursor: string | null } = (
          await call(t, b, { method: 'GET', url: `/api/customers?limit=3&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}` })
        ).json();
        paged.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged, sort).toEqual(all);
      expect(new Set(paged).size).toBe(all.length);
    }
  });

  it('updates with optimistic concurrency: a stale version gets 409 with the current one', async () => {
    const created = (await call(t, a, { method: 'POST', url: '/api/customers', body: { kind: 'company', name: 'Mercado' } })).json();
    const first = await call(t, a, { method: 'PATCH', url: `/api/customers/${created.id}`, body: { version: 1, phone: '1133334444' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ version: 2, phone: '1133334444' });
    const stale = await call(t, a, { method: 'PATCH', url: `/api/customers/${created.id}`, body: { version: 1, phone: '1199998888' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'ERR_CUSTOMER_VERSION_CONFLICT', currentVersion: 2 });
    const cleared = await call(t, a, { method: 'PATCH', url: `/api/customers/${created.id}`, body: { version: 2, phone: null, document: '45723174000110' } });
    expect(cleared.json()).toMatchObject({ version: 3, phone: null, document: '45.723.174/0001-10' });
  });

  it('concurrent updates of one version: exactly one wins', async () => {
    const created = (await call(t, a, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: 'Race' } })).json();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(t, a, { method: 'PATCH', url: `/api/customers/${created.id}`, body: { version: 1, notes: `writer ${i}` } })),
    );
    const winners = results.filter((r) => r.statusCode === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(7);
    for (const r of results.filter((x) => x.statusCode === 409)) expect(r.json()).toMatchObject({ code: 'ERR_CUSTOMER_VERSION_CONFLICT', currentVersion: 2 });
    // exactly the winner's change is stored, at version 2, with one audit row beside its creation's
    const won = winners[0]?.json() as { notes: string; version: number };
    expect(won).toMatchObject({ id: created.id, version: 2, notes: expect.stringMatching(/^writer \d$/) });
    const row = await t.app.db.kysely.selectFrom('customers').select(['notes', 'version', 'name']).where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ notes: won.notes, version: 2, name: 'Race' });
    const audit = await t.app.db.kysely.selectFrom('audit_log').select('action').where('entity_id', '=', created.id).orderBy('created_at').execute();
    expect(audit.map((x) => x.action).sort()).toEqual(['customers.create', 'customers.update']);
    // the next writer needs version 2, and makes it 3
    const next = await call(t, a, { method: 'PATCH', url: `/api/customers/${created.id}`, body: { version: 2, notes: 'after the race' } });
    expect(next.json()).toMatchObject({ version: 3, notes: 'after the race' });
  });

  it('Idempotency-Key: a retry returns the first outcome once; another body with the key is 422', async () => {
    const key = randomUUID();
    const body = { kind: 'person', name: 'Idempotent Irene' };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call(t, a, { method: 'POST', url: '/api/customers', body, headers: { 'idempotency-key': key } })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
    const rows = await t.app.db.kysely.selectFrom('customers').select('id').where('tenant_id', '=', a.id).where('name', '=', 'Idempotent Irene').execute();
    expect(rows).toHaveLength(1);
    const reused = await call(t, a, { method: 'POST', url: '/api/customers', body: { ...body, name: 'Someone Else' }, headers: { 'idempotency-key': key } });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('ERR_IDEMPOTENCY_KEY_REUSED');
    const otherTenant = await call(t, b, { method: 'POST', url: '/api/customers', body, headers: { 'idempotency-key': key } });
    expect(otherTenant.statusCode).toBe(201);
    expect(otherTenant.headers['idempotent-replayed']).toBeUndefined();
  });
});
