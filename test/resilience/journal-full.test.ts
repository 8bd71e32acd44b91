// The journal is full during an outage (JOURNAL_MAX_MB=1): writes get 202 until it is, then 503
// ERR_JOURNAL_UNAVAILABLE, never a 202 after the first 503 while it stays full; once the database
// is back every acknowledged write is stored exactly once, and none of the refused ones.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';

describe('a full journal', () => {
  let env: AppBehindProxy;
  let tenant: TestTenant;
  beforeAll(async () => {
    // The tenant's share is the whole journal: the journal's own limit is the one reached.
    env = await buildAppBehindProxy({ env: { JOURNAL_MAX_MB: '1', JOURNAL_TENANT_MAX_MB: '1' } });
    tenant = await createTenantWithUsers(env.t, 'full');
    env.t.app.replayer.start();
  });
  afterAll(() => env?.close());

  it('202 until it is full, then 503 ERR_JOURNAL_UNAVAILABLE with Retry-After and never 202 again; after recovery the rows are exactly the 202s', async () => {
    const { t, proxy } = env;
    const register = (name: string) =>
      call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '2000-02-02', plan: `Noite ${'x'.repeat(90)}` } });
    expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'staff' })).statusCode).toBe(200);
    proxy.cut();

    const acknowledged: string[] = [];
    const refusedNames: string[] = [];
    let first503: Awaited<ReturnType<typeof register>> | undefined;
    for (let i = 0; refusedNames.length < 20 && i < 20_000; i++) {
      const name = `Full ${i}`;
      const response = await register(name);
      if (response.statusCode === 202) {
        expect(first503, `a 202 after the first 503 (write ${i})`).toBeUndefined();
        acknowledged.push(name);
      } else {
        expect(response.statusCode).toBe(503);
        first503 ??= response;
        refusedNames.push(name);
      }
    }
    expect(first503, 'the journal never filled').toBeDefined();
    expect(first503?.json()).toMatchObject({ status: 503, code: 'ERR_JOURNAL_UNAVAILABLE' });
    expect(first503?.headers['retry-after']).toBeDefined();
    expect(acknowledged.length).toBeGreaterThan(100);

    proxy.pass();
    await vi.waitFor(() => expect(t.app.journal.stats()).toMatchObject({ pending: 0, dead: 0 }), { timeout: 60_000, interval: 200 });
    const rows = await sql<{ name: string }>`select name from students where tenant_id = ${tenant.id} and name like 'Full %'`.execute(t.app.db.kysely);
    expect(rows.rows.map((r) => r.name).sort()).toEqual([...acknowledged].sort());
    // and the journal takes writes again
    expect((await register('Full after recovery')).statusCode).toBe(201);
  }, 180_000);
});
