import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTenantWithUsers, TEST_PASSWORD, type TestTenant } from '../../../test/support/auth.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { sleep } from '../../shared/sleep.js';
import { SIGN_IN_LIMIT_PER_IP_PER_MINUTE } from './auth.routes.js';
import { FREE_FAILURES } from './auth.sign-in-guard.js';

function login(t: TestApp, body: Record<string, unknown>, ip: string, headers: Record<string, string> = {}) {
  return t.app.http.inject({ method: 'POST', url: '/api/auth/login', payload: body, remoteAddress: ip, headers });
}

describe('sign-in cannot be sprayed or used as a CPU weapon', () => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    a = await createTenantWithUsers(t, 'guard');
  });
  afterAll(() => t.close());

  it(`an account that failed ${FREE_FAILURES} times waits before each next try, from any address; the right password after the wait works and clears it`, async () => {
    const wrong = { tenant: 'guard', email: 'staff@guard.test', password: 'not-the-password' };
    for (let i = 0; i < FREE_FAILURES; i++) expect((await login(t, wrong, `10.20.${i}.1`)).statusCode).toBe(401);
    const slowed = await login(t, { ...wrong, email: 'STAFF@guard.test' }, '10.20.99.1');
    expect(slowed.statusCode).toBe(429);
    expect(slowed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(slowed.json()).toMatchObject({ code: 'ERR_AUTH_RATE_LIMITED', status: 429 });
    const wait = Number(slowed.headers['retry-after']);
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(2);
    // even the right password waits: the answer must not tell whether it was right
    expect((await login(t, { ...wrong, password: TEST_PASSWORD }, '10.20.98.1')).statusCode).toBe(429);
    await sleep(wait * 1000 + 100);
    expect((await login(t, { ...wrong, password: TEST_PASSWORD }, '10.20.97.1')).statusCode).toBe(200);
    // a success forgets the failures
    expect((await login(t, wrong, '10.20.96.1')).statusCode).toBe(401);
  });

  it('an email that does not exist is slowed down the same way (the answer tells nothing)', async () => {
    const body = { tenant: 'guard', email: 'nobody@guard.test', password: 'x' };
    for (let i = 0; i < FREE_FAILURES; i++) expect((await login(t, body, `10.21.${i}.1`)).statusCode).toBe(401);
    const slowed = await login(t, body, '10.21.99.1');
    expect(slowed.statusCode).toBe(429);
    expect(slowed.json().code).toBe('ERR_AUTH_RATE_LIMITED');
  });

  it('40 concurrent sign-ins from 40 addresses: password hashing is capped (503 ERR_OVERLOADED with Retry-After past the queue), other requests and a later sign-in are served', async () => {
    const flood = Array.from({ length: 40 }, (_, i) => login(t, { tenant: 'guard', email: `flood-${i}@guard.test`, password: 'guess' }, `10.22.${i}.1`));
    const during = t.app.http.inject({ url: '/api/customers', headers: a.as('viewer') });
    const answers = await Promise.all(flood);
    expect((await during).statusCode).toBe(200);
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 401 || s === 503)).toBe(true);
    const refused = answers.filter((r) => r.statusCode === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(response.json().code).toBe('ERR_OVERLOADED');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await login(t, { tenant: 'guard', email: 'owner@guard.test', password: TEST_PASSWORD }, '10.22.200.1')).statusCode).toBe(200);
  });

  it('past the per-IP limit a 1 MB sign-in body is refused (429) as it arrives, unread, instead of 413 after reading it', async () => {
    for (let i = 0; i < SIGN_IN_LIMIT_PER_IP_PER_MINUTE; i++) await login(t, { tenant: 'guard', email: `big-${i}@guard.test`, password: 'x' }, '10.23.0.1');
    const huge = await t.app.http.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: '10.23.0.1',
      headers: { 'content-type': 'application/json' },
      payload: `{"tenant":"guard","email":"a@guard.test","password":"${'x'.repeat(1024 * 1024)}"}`,
    });
    expect(huge.statusCode).toBe(429);
    expect(huge.json().code).toBe('ERR_AUTH_RATE_LIMITED');
  });
});

describe('TRUST_PROXY: per-IP limits and logs see the client behind a trusted proxy', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const spray = async (app: TestApp, forwardedFor: (i: number) => string) => {
    const statuses: number[] = [];
    for (let i = 0; i <= SIGN_IN_LIMIT_PER_IP_PER_MINUTE; i++) {
      statuses.push(
        (await login(app, { tenant: 'default', email: `spray-${i}@example.test`, password: 'x' }, '127.0.0.1', { 'x-forwarded-for': forwardedFor(i) }))
          .statusCode,
      );
    }
    return statuses;
  };

  it('from a trusted proxy, each client behind it is counted and logged on its own', async () => {
    t = await buildTestApp({ engine: 'sqlite', env: { TRUST_PROXY: '127.0.0.1' } });
    const sameClient = await spray(t, () => '198.51.100.7');
    expect(sameClient.at(-1)).toBe(429);
    const other = await login(t, { tenant: 'default', email: 'other@example.test', password: 'x' }, '127.0.0.1', { 'x-forwarded-for': '198.51.100.8' });
    expect(other.statusCode).toBe(401);
    const lines = t.logs.filter((l) => l.msg === 'request completed' && l.route === '/api/auth/login');
    expect(lines.at(-1)).toMatchObject({ remoteAddress: '198.51.100.8', statusCode: 401 });
    expect(lines.some((l) => l.remoteAddress === '127.0.0.1')).toBe(false);
  });

  it('from an address that is not a trusted proxy, X-Forwarded-For is ignored: a client cannot dodge the limit by inventing one', async () => {
    t = await buildTestApp({ engine: 'sqlite', env: { TRUST_PROXY: '10.0.0.0/8' } });
    const statuses = await spray(t, (i) => `203.0.113.${i}`);
    expect(statuses.slice(0, -1).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const lines = t.logs.filter((l) => l.msg === 'request completed' && l.route === '/api/auth/login');
    expect(lines.every((l) => l.remoteAddress === '127.0.0.1')).toBe(true);
  });
});
