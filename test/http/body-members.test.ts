// Work a request can cause before anyone looks at it stays small: a stranger's 1 MB sign-in body
// of 90,000 unknown keys is refused unread (413), a signed-in user's is refused before
// validation (400) with a short problem, and a legitimate request sent meanwhile is served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_MEMBERS } from '../../src/http/body-members.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

function hugeBody(keys: number): string {
  return JSON.stringify(Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, 1])));
}

describe('bounded work per request', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    tenant = await createTenantWithUsers(t, 'bounded');
  });
  afterAll(() => t.close());

  it('4 concurrent 1 MB sign-in bodies of 90,000 keys get 413 at once; a legitimate request meanwhile is served quickly', async () => {
    const body = hugeBody(90_000);
    expect(body.length).toBeGreaterThan(900_000);
    const started = performance.now();
    const attacks = Array.from({ length: 4 }, () =>
      t.app.http.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: body }),
    );
    const legit = call(t, tenant, { method: 'GET', url: '/api/students?limit=5', as: 'staff' });
    const answers = await Promise.all(attacks);
    expect((await legit).statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    for (const a of answers) {
      expect(a.statusCode).toBe(413);
      expect(a.json()).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
    }
  });

  it(`a signed-in user's body of more than ${MAX_BODY_MEMBERS} members gets 400 before validation, with a problem of a few hundred bytes`, async () => {
    const response = await call(t, tenant, {
      method: 'POST',
      url: '/api/students',
      as: 'staff',
      raw: { payload: hugeBody(90_000), contentType: 'application/json' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body.length).toBeLessThan(1_000);
    expect(response.json()).toMatchObject({ code: 'ERR_VALIDATION', errors: [{ field: '/', message: expect.stringContaining(String(MAX_BODY_MEMBERS)) }] });
  });

  it('a body under the member cap with many unknown fields lists at most 50 of them', async () => {
    const response = await call(t, tenant, {
      method: 'POST',
      url: '/api/students',
      as: 'staff',
      raw: { payload: hugeBody(1_500), contentType: 'application/json' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors.length).toBeLessThanOrEqual(50);
    expect(response.json().detail).toMatch(/lists the first 50/);
  });
});
