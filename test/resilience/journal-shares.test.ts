// One tenant cannot fill the journal for all: during a PostgreSQL outage (a cut proxy), tenant B
// writes until its share (JOURNAL_TENANT_MAX_MB, a quarter of JOURNAL_MAX_MB) is held, then gets
// 503 ERR_JOURNAL_TENANT_FULL while tenant A still gets 202. Once the database is back and the
// journal drained, its file is small again and the instance is ready.
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';

const JOURNAL_MAX_MB = 1;

function journalFileBytes(dataDir: string): number {
  return ['journal.db', 'journal.db-wal'].reduce((sum, name) => {
    try {
      return sum + statSync(path.join(dataDir, name)).size;
    } catch {
      return sum;
    }
  }, 0);
}

describe("a tenant's share of the journal", () => {
  let env: AppBehindProxy;
  let a: TestTenant;
  let b: TestTenant;
  beforeAll(async () => {
    env = await buildAppBehindProxy({ env: { JOURNAL_MAX_MB: String(JOURNAL_MAX_MB) } });
    a = await createTenantWithUsers(env.t, 'share-a');
    b = await createTenantWithUsers(env.t, 'share-b');
    env.t.app.replayer.start();
  });
  afterAll(() => env?.close());

  it('B filling its share gets 503 with Retry-After, A still gets 202; after the drain the file is under 1 MB and /health/ready is 200', async () => {
    const { t, proxy } = env;
    const register = (tenant: TestTenant, name: string) =>
      call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '2000-02-02', plan: 'Noite' } });
    for (const tenant of [a, b]) expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'staff' })).statusCode).toBe(200);
    proxy.cut();

    const acknowledged: string[] = [];
    let refused: Awaited<ReturnType<typeof register>> | undefined;
    for (let round = 0; !refused && round < 100; round++) {
      const names = Array.from({ length: 25 }, (_, i) => `Share B ${round}-${i}`);
      const answers = await Promise.all(names.map((name) => register(b, name)));
      answers.forEach((r, i) => {
        if (r.statusCode === 202) acknowledged.push(names[i] as string);
        else if (r.statusCode === 503 && r.json().code === 'ERR_JOURNAL_TENANT_FULL') refused ??= r;
        else expect.fail(`unexpected answer ${r.statusCode} ${r.body}`);
      });
    }
    expect(refused, 'B was never refused').toBeDefined();
    expect(refused?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused?.headers['retry-after']).toBeDefined();
    expect(refused?.json()).toMatchObject({ status: 503, code: 'ERR_JOURNAL_TENANT_FULL', detail: expect.stringContaining('JOURNAL_TENANT_MAX_MB') });
    // The share is a quarter of the journal: B was acknowledged hundreds of small writes first.
    expect(acknowledged.length).toBeGreaterThan(300);
    expect((await register(b, 'Share B refused again')).statusCode).toBe(503);

    const others = await Promise.all(Array.from({ length: 10 }, (_, i) => register(a, `Share A ${i}`)));
    expect(others.map((r) => r.statusCode)).toEqual(Array(10).fill(202));
    expect((await t.app.http.inject('/health/ready')).statusCode).toBe(200);

    proxy.pass();
    await vi.waitFor(() => expect(t.app.journal.stats().pending).toBe(0), { timeout: 60_000, interval: 100 });
    expect(journalFileBytes(t.config.paths.dataDir)).toBeLessThan(1024 * 1024);
    expect((await t.app.http.inject('/health/ready')).statusCode).toBe(200);
    // B can write again, directly.
    expect((await register(b, 'Share B after')).statusCode).toBe(201);
    const rows = await t.app.db.kysely.selectFrom('students').select('name').where('tenant_id', '=', b.id).where('name', 'like', 'Share B %-%').execute();
    expect(rows.map((r) => r.name).sort()).toEqual([...acknowledged].sort());
  }, 120_000);
});
