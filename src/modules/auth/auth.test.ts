import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createSigner } from 'fast-jwt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, expectScenario, type Scenario } from '../../../test/support/api.js';
import { createTenantWithUsers, TEST_PASSWORD, type TestTenant } from '../../../test/support/auth.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { ENGINES } from '../../../test/support/test-database.js';
import { SIGN_IN_LIMIT_PER_IP_PER_MINUTE } from './auth.routes.js';

// Every scrypt derivation the code under test runs, by its cost parameter N: a sign-in that fails
// must cost the same work whatever made it fail.
const scrypts = vi.hoisted(() => ({ costs: [] as number[] }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  const scrypt = (...args: Parameters<typeof real.scrypt>) => {
    const options = args[3];
    scrypts.costs.push(typeof options === 'object' && options !== null ? Number(options.N ?? options.cost) : 16384);
    return (real.scrypt as (...a: unknown[]) => void)(...args);
  };
  return { ...real, scrypt, default: { ...real, scrypt } };
});

async function login(t: TestApp, body: Record<string, unknown>, ip = '10.0.0.1') {
  return t.app.http.inject({ method: 'POST', url: '/api/auth/login', payload: body, remoteAddress: ip });
}

describe.each(ENGINES)('auth on %s', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine });
    [a, b] = await Promise.all([createTenantWithUsers(t, 'acme'), createTenantWithUsers(t, 'beta')]);
  });
  afterAll(() => t.close());

  it('a first start creates tenant "default" and its owner; the password is only in initial-admin.txt (0600)', async () => {
    const file = path.join(t.config.paths.dataDir, 'initial-admin.txt');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = /^password: (\S+)$/m.exec(readFileSync(file, 'utf8'))?.[1] as string;
    expect(password.length).toBeGreaterThanOrEqual(20);
    const logged = t.logs.find((l) => l.msg === 'first start: created the owner account; its password is in the file');
    expect(logged).toMatchObject({ file, email: 'admin@localhost', tenant: 'default' });
    expect(JSON.stringify(t.logs)).not.toContain(password);
    const response = await login(t, { tenant: 'default', email: 'admin@localhost', password });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      token: expect.any(String),
      expiresAt: expect.any(String),
      user: { email: 'admin@localhost', role: 'owner', tenant: { slug: 'default' } },
    });
    const hash = await t.app.db.kysely.selectFrom('users').select('password_hash').where('email', '=', 'admin@localhost').executeTakeFirstOrThrow();
    expect(hash.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
  });

  it('signs in, and the token works for /me; expiry is 12 h', async () => {
    const response = await login(t, { tenant: 'acme', email: 'STAFF@acme.test', password: TEST_PASSWORD }, '10.0.0.2');
    expect(response.statusCode).toBe(200);
    const { token, expiresAt } = response.json();
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(11.9 * 3_600_000);
    const me = await t.app.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ email: 'staff@acme.test', role: 'staff', tenant: { slug: 'acme' } });
  });

  it('a wrong tenant, email or password gets the same 401 and costs the same work: one scrypt at the stored cost, as a right one', async () => {
    const cases = {
      right: { tenant: 'acme', email: 'staff@acme.test', password: TEST_PASSWORD },
      tenant: { tenant: 'nope', email: 'staff@acme.test', password: TEST_PASSWORD },
      email: { tenant: 'acme', email: 'nobody@acme.test', password: TEST_PASSWORD },
      password: { tenant: 'acme', email: 'staff@acme.test', password: 'wrong-password' },
      crossTenant: { tenant: 'beta', email: 'staff@acme.test', password: TEST_PASSWORD },
    };
    const bodies = new Set<string>();
    const work: Record<string, number[]> = {};
    for (const [name, body] of Object.entries(cases)) {
      scrypts.costs.length = 0;
      const response = await login(t, body, '10.1.0.1');
      work[name] = [...scrypts.costs];
      if (name === 'right') {
        expect(response.statusCode).toBe(200);
        continue;
      }
      expect(response.statusCode).toBe(401);
      const { requestId: _requestId, ...problem } = response.json();
      bodies.add(JSON.stringify(problem));
    }
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain('ERR_AUTH_INVALID_CREDENTIALS');
    // None may be a quick reject: each does the one derivation a right password does.
    expect(work).toEqual({ right: [32768], tenant: [32768], email: [32768], password: [32768], crossTenant: [32768] });
  });

  it(`limits sign-ins to ${SIGN_IN_LIMIT_PER_IP_PER_MINUTE} per minute per IP whatever the email: spraying 40 emails gets 429 problem+json with Retry-After`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await login(t, { tenant: 'acme', email: `guess-${i}@acme.test`, password: 'wrong-password' }, '10.9.9.9')).statusCode);
    expect(statuses.slice(0, SIGN_IN_LIMIT_PER_IP_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(SIGN_IN_LIMIT_PER_IP_PER_MINUTE).every((s) => s === 429)).toBe(true);
    const limited = await login(t, { tenant: 'acme', email: 'owner@acme.test', password: TEST_PASSWORD }, '10.9.9.9');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ code: 'ERR_AUTH_RATE_LIMITED', status: 429 });
    // another IP is not limited
    expect((await login(t, { tenant: 'acme', email: 'owner@acme.test', password: TEST_PASSWORD }, '10.9.9.10')).statusCode).toBe(200);
  });

  it('refuses a token issued in the future (a clock that was ahead when it was signed); a little skew between servers is accepted', async () => {
    const claims = { sub: a.userIds.owner, tid: a.id, role: 'owner', ep: 0 };
    const signedAt = (offsetMs: number) => createSigner({ key: t.config.secretKey, expiresIn: 12 * 3_600_000, clockTimestamp: Date.now() + offsetMs })(claims);
    const me = (token: string) => t.app.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
    const ahead = await me(signedAt(24 * 3_600_000));
    expect(ahead.statusCode).toBe(401);
    expect(ahead.json().code).toBe('ERR_AUTH_TOKEN_INVALID');
    expect((await me(signedAt(20_000))).statusCode).toBe(200);
  });

  it('rejects expired, foreign and malformed tokens', async () => {
    const expired = createSigner({ key: t.config.secretKey, expiresIn: 1 })({ sub: a.userIds.owner, tid: a.id, role: 'owner' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const foreign = createSigner({ key: 'x'.repeat(40) })({ sub: a.userIds.owner, tid: a.id, role: 'owner' });
    for (const [token, code] of [
      [expired, 'ERR_AUTH_TOKEN_EXPIRED'],
      [foreign, 'ERR_AUTH_TOKEN_INVALID'],
      ['not-a-jwt', 'ERR_AUTH_TOKEN_INVALID'],
    ]) {
      const response = await t.app.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe(code);
    }
  });

  it('the tenant comes from the token: a token whose user is not in the claimed tenant is refused', async () => {
    const forged = createSigner({ key: t.config.secretKey })({ sub: a.userIds.owner, tid: b.id, role: 'owner' });
    const response = await t.app.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${forged}` } });
    expect(response.statusCode).toBe(401);
  });

  const userScenarios = (): Scenario[] => [
    {
      name: 'admin creates staff',
      method: 'POST',
      url: '/api/auth/users',
      as: 'admin',
      body: { email: 'new.staff@acme.test', name: 'New Staff', role: 'staff', password: 'long-enough-1' },
      status: 201,
    },
    {
      name: 'duplicate email',
      method: 'POST',
      url: '/api/auth/users',
      as: 'admin',
      body: { email: 'NEW.staff@acme.test', name: 'Again', role: 'staff', password: 'long-enough-1' },
      status: 409,
      code: 'ERR_USER_EMAIL_TAKEN',
    },
    {
      name: 'admin cannot create an owner',
      method: 'POST',
      url: '/api/auth/users',
      as: 'admin',
      body: { email: 'o2@acme.test', name: 'O2', role: 'owner', password: 'long-enough-1' },
      status: 403,
      code: 'ERR_USER_OWNER_ONLY',
    },
    {
      name: 'owner creates an owner',
      method: 'POST',
      url: '/api/auth/users',
      as: 'owner',
      body: { email: 'o2@acme.test', name: 'O2', role: 'owner', password: 'long-enough-1' },
      status: 201,
    },
    {
      name: 'staff cannot manage users',
      method: 'POST',
      url: '/api/auth/users',
      as: 'staff',
      body: { email: 'x@acme.test', name: 'X', role: 'viewer', password: 'long-enough-1' },
      status: 403,
      code: 'ERR_AUTH_FORBIDDEN',
    },
    { name: 'viewer cannot list users', method: 'GET', url: '/api/auth/users', as: 'viewer', status: 403, code: 'ERR_AUTH_FORBIDDEN' },
    {
      name: 'short password',
      method: 'POST',
      url: '/api/auth/users',
      as: 'admin',
      body: { email: 'y@acme.test', name: 'Y', role: 'viewer', password: 'short' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/password'],
    },
    {
      name: 'unknown role',
      method: 'POST',
      url: '/api/auth/users',
      as: 'admin',
      body: { email: 'y@acme.test', name: 'Y', role: 'god', password: 'long-enough-1' },
      status: 400,
      code: 'ERR_VALIDATION',
    },
    {
      name: 'bad email',
      method: 'POST',
      url: '/api/auth/users',
      as: 'admin',
      body: { email: 'nope', name: 'Y', role: 'viewer', password: 'long-enough-1' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/email'],
    },
    {
      name: 'unknown field',
      method: 'POST',
      url: '/api/auth/users',
      as: 'admin',
      body: { email: 'z@acme.test', name: 'Z', role: 'viewer', password: 'long-enough-1', tenantId: 'x' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/tenantId'],
    },
    {
      name: 'empty patch',
      method: 'PATCH',
      url: `/api/auth/users/${'00000000-0000-4000-8000-000000000000'}`,
      as: 'admin',
      body: {},
      status: 400,
      code: 'ERR_VALIDATION',
    },
    {
      name: 'login missing fields',
      method: 'POST',
      url: '/api/auth/login',
      as: 'anonymous',
      body: { email: 'x' },
      status: 400,
      code: 'ERR_VALIDATION',
      fields: ['/tenant', '/password'],
    },
  ];

  it('manages users within the tenant', async () => {
    for (const scenario of userScenarios()) await expectScenario(t, a, scenario, expect);
  });

  it('disabling a user or changing their role takes effect on their next request', async () => {
    const viewerMe = await call(t, a, { method: 'GET', url: '/api/auth/me', as: 'viewer' });
    expect(viewerMe.statusCode).toBe(200);
    const promoted = await call(t, a, { method: 'PATCH', url: `/api/auth/users/${a.userIds.viewer}`, as: 'admin', body: { role: 'staff' } });
    expect(promoted.json()).toMatchObject({ role: 'staff' });
    expect((await call(t, a, { method: 'POST', url: '/api/customers', as: 'viewer', body: { kind: 'person', name: 'Now allowed' } })).statusCode).toBe(201);
    const disabled = await call(t, a, { method: 'PATCH', url: `/api/auth/users/${a.userIds.viewer}`, as: 'admin', body: { active: false } });
    expect(disabled.json()).toMatchObject({ active: false });
    const after = await call(t, a, { method: 'GET', url: '/api/auth/me', as: 'viewer' });
    expect(after.statusCode).toBe(401);
    expect((await login(t, { tenant: 'acme', email: 'viewer@acme.test', password: TEST_PASSWORD }, '10.3.3.3')).statusCode).toBe(401);
  });

  it('guards against lockout and across tenants', async () => {
    const self = await call(t, a, { method: 'PATCH', url: `/api/auth/users/${a.userIds.admin}`, as: 'admin', body: { active: false } });
    expect(self.statusCode).toBe(409);
    expect(self.json().code).toBe('ERR_USER_SELF_LOCKOUT');
    const adminOnOwner = await call(t, a, { method: 'PATCH', url: `/api/auth/users/${a.userIds.owner}`, as: 'admin', body: { role: 'viewer' } });
    expect(adminOnOwner.json().code).toBe('ERR_USER_OWNER_ONLY');
    for (const c of [
      { method: 'GET', url: `/api/auth/users/${a.userIds.staff}` },
      { method: 'PATCH', url: `/api/auth/users/${a.userIds.staff}`, body: { name: 'Hijack' } },
    ] as const) {
      const response = await call(t, b, { ...c, as: 'owner' });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('ERR_USER_NOT_FOUND');
    }
    const list = await call(t, b, { method: 'GET', url: '/api/auth/users?limit=100', as: 'owner' });
    expect(list.json().items.every((u: { email: string }) => u.email.endsWith('@beta.test'))).toBe(true);
  });
});

describe.each(ENGINES)('revoking tokens on %s', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine });
    a = await createTenantWithUsers(t, 'revoke');
  });
  afterAll(() => t.close());

  const signIn = async (email: string, password = TEST_PASSWORD) => {
    const response = await login(t, { tenant: 'revoke', email, password }, `10.9.${Math.floor(Math.random() * 250)}.1`);
    expect(response.statusCode).toBe(200);
    return response.json().token as string;
  };
  const me = (token: string) => t.app.http.inject({ url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });

  it('sign-out revokes every token of the user (all sessions) at once; a new sign-in works', async () => {
    const [first, second] = [await signIn('staff@revoke.test'), await signIn('staff@revoke.test')];
    expect((await me(first)).statusCode).toBe(200);
    const out = await t.app.http.inject({ method: 'POST', url: '/api/auth/logout', headers: { authorization: `Bearer ${first}` } });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toEqual({ signedOut: true });
    for (const token of [first, second]) {
      const refused = await me(token);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().code).toBe('ERR_AUTH_TOKEN_INVALID');
    }
    expect((await me(await signIn('staff@revoke.test'))).statusCode).toBe(200);
  });

  it('a password change or a deactivation revokes the old tokens at once; a role change does not need to', async () => {
    const viewerToken = await signIn('viewer@revoke.test');
    const changed = await call(t, a, { method: 'PATCH', url: `/api/auth/users/${a.userIds.viewer}`, body: { password: 'a-brand-new-password' } });
    expect(changed.statusCode).toBe(200);
    expect((await me(viewerToken)).statusCode).toBe(401);
    expect((await me(await signIn('viewer@revoke.test', 'a-brand-new-password'))).statusCode).toBe(200);

    const adminToken = await signIn('admin@revoke.test');
    expect((await call(t, a, { method: 'PATCH', url: `/api/auth/users/${a.userIds.admin}`, body: { role: 'staff' } })).statusCode).toBe(200);
    const demoted = await me(adminToken);
    expect(demoted.statusCode).toBe(200);
    expect(demoted.json().role).toBe('staff');
    expect((await call(t, a, { method: 'PATCH', url: `/api/auth/users/${a.userIds.admin}`, body: { active: false } })).statusCode).toBe(200);
    expect((await me(adminToken)).statusCode).toBe(401);
  });
});

describe('authentication cannot be sidestepped through the URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
  });
  afterAll(() => t.close());

  it.each(['/%61pi/system/info', '/%61%70%69/system/info', '/api/%73ystem/info', '//api/system/info', '/api/system/info/'])(
    '%s needs a token like /api/system/info',
    async (url) => {
      const response = await t.app.http.inject({ url });
      expect([401, 404]).toContain(response.statusCode);
      expect(response.body).not.toContain('installationId');
    },
  );
});
