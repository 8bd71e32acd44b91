// Rate limits: the per-route table, per user, 429 problem+json with Retry-After, health
// exempt; in memory, and in Redis (127.0.0.1:6379) where two app instances share the counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_LIMITS_PER_MINUTE } from '../../src/http/rate-limits.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const student = (n: number) => ({ name: `Limite ${n}`, birthDate: '1990-01-01', plan: 'Manhã' });

function expectLimited(response: Awaited<ReturnType<typeof call>>): void {
  expect(response.statusCode).toBe(429);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ code: 'ERR_RATE_LIMITED', detail: expect.stringMatching(/POST \/api\/students/) });
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
}

describe('rate limits in memory', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite', env: { RATE_LIMITS: 'default=8,GET /health=1' } });
    tenant = await createTenantWithUsers(t, 'limits');
  });
  afterAll(() => t.close());

  it(`the built-in table: ${RATE_LIMITS_PER_MINUTE['POST /api/students']} registrations a minute per user, then 429; another user still writes`, async () => {
    const max = RATE_LIMITS_PER_MINUTE['POST /api/students'] as number;
    for (let n = 0; n < max; n++) expect((await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: student(n) })).statusCode).toBe(201);
    expectLimited(await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: student(max) }));
    expect((await call(t, tenant, { method: 'POST', url: '/api/students', as: 'admin', body: student(max + 1) })).statusCode).toBe(201);
    const rows = await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', tenant.id).execute();
    expect(rows).toHaveLength(max + 1);
  });

  it('RATE_LIMITS changes the default for other routes; health is never limited', async () => {
    for (let n = 0; n < 8; n++) expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'viewer' })).statusCode).toBe(200);
    const limited = await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'viewer' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'ERR_RATE_LIMITED' });
    for (let n = 0; n < 20; n++) expect((await t.app.http.inject('/health/live')).statusCode).toBe(200);
  });
});

describe('rate limits in Redis, shared by two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    const env = { REDIS_URL, RATE_LIMITS: 'POST /api/students=6', SECRET_KEY: 'r'.repeat(48) };
    a = await buildTestApp({ engine: 'postgres', env });
    b = await buildTestApp({ engine: 'postgres', databaseUrl: a.config.databaseUrl, env });
    tenant = await createTenantWithUsers(a, 'redislimits');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('4 writes through one and 2 through the other use up the 6; the 7th is refused by either', async () => {
    for (let n = 0; n < 4; n++) expect((await call(a, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: student(n) })).statusCode).toBe(201);
    for (let n = 4; n < 6; n++) expect((await call(b, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: student(n) })).statusCode).toBe(201);
    expectLimited(await call(a, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: student(6) }));
    expectLimited(await call(b, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: student(7) }));
    const rows = await a.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', tenant.id).execute();
    expect(rows).toHaveLength(6);
  });
});

describe('rate limits with Redis unreachable', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    // a port nothing listens on
    t = await buildTestApp({ engine: 'sqlite', env: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMITS: 'POST /api/students=2' } });
    tenant = await createTenantWithUsers(t, 'noredis');
  });
  afterAll(() => t.close());

  it('never blocks a request: writes go through uncounted, and the log says why', async () => {
    for (let n = 0; n < 4; n++) expect((await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: student(n) })).statusCode).toBe(201);
    expect(t.logs.some((l) => String(l.msg).startsWith('rate-limit counters: Redis unreachable'))).toBe(true);
  });
});
