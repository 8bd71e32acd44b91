import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithUsers, type TestTenant } from '../../../test/support/auth.js';
import { call, expectScenario, type Scenario } from '../../../test/support/api.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { ENGINES } from '../../../test/support/test-database.js';
import { encodeCursor } from '../../shared/cursor.js';

interface Entry {
  id: string;
  userId: string | null;
  action: string;
  entity: string;
  entityId: string;
  requestId: string;
  createdAt: string;
}
type Page = { items: Entry[]; nextCursor: string | null };

/** The same instant written with a UTC offset of `hours` (e.g. -3 for Brasília). */
function withOffset(iso: string, hours: number): string {
  const shifted = new Date(Date.parse(iso) + hours * 3_600_000).toISOString().slice(0, 23);
  const sign = hours < 0 ? '-' : '+';
  return `${shifted}${sign}${String(Math.abs(hours)).padStart(2, '0')}:00`;
}

describe.each(ENGINES)('audit on %s', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  /** Every row of a tenant as the API should show it, newest first. */
  const rowsOf = async (tenant: TestTenant): Promise<Entry[]> => {
    const rows = await t.app.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      requestId: r.request_id,
      createdAt: r.created_at,
    }));
  };
  /** Every page of a query, following `nextCursor` (from `start`, if given). */
  const allPages = async (tenant: TestTenant, query: string, limit: number, start: string | null = null): Promise<Entry[]> => {
    const items: Entry[] = [];
    let cursor: string | null = start;
    do {
      const response = await call(t, tenant, {
        method: 'GET',
        url: `/api/audit?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as Page;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  const write = async (tenant: TestTenant, as: 'staff' | 'admin' | 'owner', method: 'POST' | 'PATCH', url: string, body?: unknown) => {
    const response = await call(t, tenant, { method, url, body, as });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json() as { id: string };
  };

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    [a, b] = await Promise.all([createTenantWithUsers(t, 'a'), createTenantWithUsers(t, 'b')]);
    // 1 tenant + 4 users + 6 registrations + 6 updates + 3 deactivations + 1 customer = 21 rows
    for (let i = 0; i < 6; i++) {
      const { id } = await write(a, 'staff', 'POST', '/api/students', { name: `Aluno ${i}`, birthDate: `1990-01-0${i + 1}`, plan: 'Judô' });
      await write(a, 'admin', 'PATCH', `/api/students/${id}`, { plan: 'Judô avançado' });
      if (i % 2 === 0) await write(a, 'owner', 'POST', `/api/students/${id}/deactivate`);
    }
    await write(a, 'staff', 'POST', '/api/customers', { kind: 'person', name: 'Cliente' });
    for (let i = 0; i < 2; i++) await write(b, 'staff', 'POST', '/api/students', { name: `Outro ${i}`, birthDate: '1985-05-05', plan: 'Yoga' });
  });
  afterAll(() => t.close());

  it('lists the tenant’s audit trail newest first, each entry with exactly its fields', async () => {
    const response = await call(t, a, { method: 'GET', url: '/api/audit?limit=100', as: 'admin' });
    expect(response.statusCode).toBe(200);
    const page = response.json() as Page;
    expect(page.nextCursor).toBeNull();
    expect(page.items).toEqual(await rowsOf(a));
    expect(page.items).toHaveLength(21);
    for (const item of page.items) expect(Object.keys(item).sort()).toEqual(['action', 'createdAt', 'entity', 'entityId', 'id', 'requestId', 'userId']);
    // the default page is 20 rows
    expect(((await call(t, a, { method: 'GET', url: '/api/audit' })).json() as Page).items).toHaveLength(20);
  });

  const scenarios = (): Scenario[] => [
    {
      name: 'every filter at once',
      method: 'GET',
      url: `/api/audit?entity=student&action=students.update&userId=${randomUUID()}&from=2020-01-01T00:00:00Z&to=2999-01-01T00:00:00Z&limit=5`,
      status: 200,
    },
    { name: 'from equals to', method: 'GET', url: '/api/audit?from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z', status: 200 },
    { name: 'from with an offset and fraction', method: 'GET', url: '/api/audit?from=2026-03-01T00:00:00.123456-03:00', status: 200 },
    { name: 'limit 100', method: 'GET', url: '/api/audit?limit=100', status: 200 },
    { name: 'limit 0', method: 'GET', url: '/api/audit?limit=0', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit 101', method: 'GET', url: '/api/audit?limit=101', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'limit not a number', method: 'GET', url: '/api/audit?limit=all', status: 400, code: 'ERR_VALIDATION', fields: ['/limit'] },
    { name: 'malformed cursor', method: 'GET', url: '/api/audit?cursor=!!notacursor', status: 400, code: 'ERR_VALIDATION', fields: ['/cursor'] },
    {
      name: 'forged cursor',
      method: 'GET',
      url: `/api/audit?cursor=${encodeCursor({ value: 'not a time', id: randomUUID() })}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    {
      name: 'forged cursor with an impossible instant',
      method: 'GET',
      url: `/api/audit?cursor=${encodeCursor({ value: '2026-13-45T00:00:00.000Z', id: randomUUID() })}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    {
      name: 'cursor without a uuid',
      method: 'GET',
      url: `/api/audit?cursor=${encodeCursor({ value: new Date().toISOString(), id: '1' })}`,
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/cursor'],
    },
    { name: 'userId not a uuid', method: 'GET', url: '/api/audit?userId=42', status: 400, code: 'ERR_VALIDATION', fields: ['/userId'] },
    { name: 'userId as a urn', method: 'GET', url: `/api/audit?userId=urn:uuid:${randomUUID()}`, status: 400, code: 'ERR_VALIDATION', fields: ['/userId'] },
    { name: 'from not a date-time', method: 'GET', url: '/api/audit?from=yesterday', status: 400, code: 'ERR_VALIDATION', fields: ['/from'] },
    { name: 'from a date only', method: 'GET', url: '/api/audit?from=2026-03-01', status: 400, code: 'ERR_VALIDATION', fields: ['/from'] },
    { name: 'to without a time zone', method: 'GET', url: '/api/audit?to=2026-03-01T10:00:00', status: 400, code: 'ERR_VALIDATION', fields: ['/to'] },
    { name: 'to on a day that does not exist', method: 'GET', url: '/api/audit?to=2026-02-30T10:00:00Z', status: 400, code: 'ERR_VALIDATION', fields: ['/to'] },
    { name: 'from a leap second', method: 'GET', url: '/api/audit?from=2016-12-31T23:59:60Z', status: 400, code: 'ERR_VALIDATION', fields: ['/from'] },
    {
      name: 'from after to',
      method: 'GET',
      url: '/api/audit?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z',
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/from'],
    },
    {
      name: 'from after to, by offsets',
      method: 'GET',
      url: '/api/audit?from=2026-03-01T00:00:00-03:00&to=2026-03-01T02:00:00Z',
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/from'],
    },
    { name: 'entity over 50', method: 'GET', url: `/api/audit?entity=${'e'.repeat(51)}`, status: 400, code: 'ERR_VALIDATION', fields: ['/entity'] },
    { name: 'action over 100', method: 'GET', url: `/api/audit?action=${'a'.repeat(101)}`, status: 400, code: 'ERR_VALIDATION', fields: ['/action'] },
    { name: 'NUL in the entity', method: 'GET', url: '/api/audit?entity=stu%00dent', status: 400, code: 'ERR_VALIDATION', fields: ['/entity'] },
    { name: 'empty action', method: 'GET', url: '/api/audit?action=', status: 400, code: 'ERR_VALIDATION', fields: ['/action'] },
    { name: 'unknown query param', method: 'GET', url: `/api/audit?tenantId=${randomUUID()}`, status: 400, code: 'ERR_VALIDATION', fields: ['/tenantId'] },
    { name: 'writes are not routes', method: 'POST', url: '/api/audit', body: {}, status: 404, code: 'ERR_ROUTE_NOT_FOUND' },
    { name: 'no token', method: 'GET', url: '/api/audit', as: 'anonymous', status: 401, code: 'ERR_AUTH_REQUIRED' },
  ];

  it('answers each scenario with its status and code', async () => {
    for (const scenario of scenarios()) await expectScenario(t, a, scenario, expect);
  });

  it.each([
    ['viewer', 403],
    ['staff', 403],
    ['admin', 200],
    ['owner', 200],
  ] as const)('role %s reads the audit trail → %i', async (role, status) => {
    const response = await call(t, a, { method: 'GET', url: '/api/audit?entity=student', as: role });
    expect(response.statusCode).toBe(status);
    if (status === 403) {
      expect(response.json()).toMatchObject({ code: 'ERR_AUTH_FORBIDDEN', permission: 'audit' });
      expect(response.json().items).toBeUndefined();
    }
  });

  it('tenant isolation: B never sees A’s rows, whatever the filter or cursor', async () => {
    const aIds = new Set((await rowsOf(a)).map((e) => e.id));
    const aStudent = (await rowsOf(a)).find((e) => e.entity === 'student') as Entry;
    const aCursor = ((await call(t, a, { method: 'GET', url: '/api/audit?limit=1' })).json() as Page).nextCursor;
    for (const query of [
      '',
      'entity=student',
      'action=students.register',
      `userId=${a.userIds.staff}`,
      `userId=${a.userIds.owner}`,
      `from=${aStudent.createdAt}&to=${aStudent.createdAt}`,
      `cursor=${aCursor}`,
    ]) {
      for (const role of ['admin', 'owner'] as const) {
        const response = await call(t, b, { method: 'GET', url: `/api/audit?limit=100&${query}`, as: role });
        expect(response.statusCode, query).toBe(200);
        expect(
          (response.json() as Page).items.filter((e) => aIds.has(e.id)),
          query,
        ).toEqual([]);
      }
    }
    expect(await allPages(b, '', 3)).toEqual(await rowsOf(b));
    expect((await call(t, b, { method: 'GET', url: `/api/audit?userId=${a.userIds.staff}` })).json()).toEqual({ items: [], nextCursor: null });
  });

  it('filters by entity, action, user and an inclusive from/to window, alone and together', async () => {
    const all = await rowsOf(a);
    const ascending = [...all].reverse();
    const from = ascending[4] as Entry;
    const to = ascending[ascending.length - 3] as Entry;
    const within = (e: Entry) => e.createdAt >= from.createdAt && e.createdAt <= to.createdAt;
    const cases: Array<[string, (e: Entry) => boolean]> = [
      ['entity=student', (e) => e.entity === 'student'],
      ['entity=customer', (e) => e.entity === 'customer'],
      ['entity=nothing', () => false],
      ['action=students.update', (e) => e.action === 'students.update'],
      ['action=students.deactivate', (e) => e.action === 'students.deactivate'],
      [`userId=${a.userIds.staff}`, (e) => e.userId === a.userIds.staff],
      [`userId=${a.userIds.admin.toUpperCase()}`, (e) => e.userId === a.userIds.admin],
      [`userId=${a.userIds.viewer}`, () => false],
      [`from=${from.createdAt}`, (e) => e.createdAt >= from.createdAt],
      [`to=${to.createdAt}`, (e) => e.createdAt <= to.createdAt],
      [`from=${from.createdAt}&to=${to.createdAt}`, within],
      // the same window written in Brasília time and in UTC+5
      [`from=${encodeURIComponent(withOffset(from.createdAt, -3))}&to=${encodeURIComponent(withOffset(to.createdAt, 5))}`, within],
      [
        `entity=student&userId=${a.userIds.owner}&from=${from.createdAt}&to=${to.createdAt}`,
        (e) => e.entity === 'student' && e.userId === a.userIds.owner && within(e),
      ],
      [`action=students.register&userId=${a.userIds.admin}`, () => false],
    ];
    for (const [query, keep] of cases) {
      const expected = all.filter(keep);
      const response = await call(t, a, { method: 'GET', url: `/api/audit?limit=100&${query}` });
      expect(response.statusCode, `${query}: ${response.body}`).toBe(200);
      expect((response.json() as Page).items, query).toEqual(expected);
    }
    expect(all.filter((e) => e.entity === 'student' && e.userId === a.userIds.owner && within(e)).length).toBeGreaterThan(0);
  });

  it('pages newest first without skipping or repeating, with and without filters', async () => {
    for (const query of ['', 'entity=student', `userId=${a.userIds.admin}`, 'action=students.register']) {
      const everything = ((await call(t, a, { method: 'GET', url: `/api/audit?limit=100&${query}` })).json() as Page).items;
      expect(everything.length, query).toBeGreaterThan(3);
      for (const limit of [1, 2, 3, 7]) {
        const paged = await allPages(a, query, limit);
        expect(paged, `${query} limit ${limit}`).toEqual(everything);
        expect(new Set(paged.map((e) => e.id)).size).toBe(everything.length);
      }
    }
    // a row written while a client pages shows on no later page: the cursor only moves back in time
    const before = await allPages(a, 'entity=student', 100);
    const first = (await call(t, a, { method: 'GET', url: '/api/audit?limit=2&entity=student' })).json() as Page;
    const { id } = await write(a, 'staff', 'POST', '/api/students', { name: 'Recém-chegado', birthDate: '1999-09-09', plan: 'Judô' });
    const rest = await allPages(a, 'entity=student', 3, first.nextCursor);
    expect([...first.items, ...rest]).toEqual(before);
    expect((await allPages(a, 'entity=student', 100))[0]?.entityId).toBe(id);
  });

  it('shows a student write under its request id, user and entity id', async () => {
    const requestId = `audit-${randomUUID()}`;
    const before = new Date().toISOString();
    const response = await call(t, a, {
      method: 'POST',
      url: '/api/students',
      body: { name: 'Rastreável', birthDate: '2001-01-01', plan: 'Judô' },
      as: 'staff',
      headers: { 'x-request-id': requestId },
    });
    expect(response.statusCode).toBe(201);
    const page = (await call(t, a, { method: 'GET', url: `/api/audit?entity=student&userId=${a.userIds.staff}&from=${before}` })).json() as Page;
    expect(page.items).toEqual([
      {
        id: expect.any(String),
        userId: a.userIds.staff,
        action: 'students.register',
        entity: 'student',
        entityId: response.json().id,
        requestId,
        createdAt: response.json().createdAt,
      },
    ]);
    expect((await call(t, b, { method: 'GET', url: `/api/audit?from=${before}` })).json()).toEqual({ items: [], nextCursor: null });
  });

  it('never answered a 500 in this suite', () => {
    expect(t.logs.filter((l) => l.msg === 'request failed')).toEqual([]);
  });
});
