// The private PostgreSQL stopped and started again while registrations keep coming: every
// registration is answered 201 or 202, and once the journal drains each acknowledged one exists
// exactly once.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';

const WORKERS = 8;
const LOAD_MS = 8_000;

describe('PostgreSQL restarted under load', () => {
  let server: PrivatePostgres;
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startPrivatePostgres();
    t = await buildTestApp({ engine: 'postgres', databaseUrl: server.url, env: { DB_CONNECT_TIMEOUT_MS: '1000' } });
    tenant = await createTenantWithUsers(t, 'restart');
    t.app.replayer.start();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await server?.destroy();
  });

  it('answers every write 201 or 202 across the restart, and applies each acknowledged one once', async () => {
    const acknowledged: string[] = [];
    const failures: string[] = [];
    const until = Date.now() + LOAD_MS;
    let n = 0;
    const worker = async () => {
      while (Date.now() < until) {
        const name = `Restart Student ${n++}`;
        const r = await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '1980-08-08', plan: 'Manhã' } });
        if (r.statusCode === 201 || r.statusCode === 202) acknowledged.push(name);
        else failures.push(`${r.statusCode} ${r.body}`);
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, worker));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await server.stop();
    // down for longer than the dispatcher's retries: writes must go to the journal
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await server.start();
    await load;

    expect(failures).toEqual([]);
    await vi.waitFor(() => expect(t.app.circuit.closed && !t.app.journal.hasPending()).toBe(true), { timeout: 60_000, interval: 100 });
    const rows = await t.app.db.kysely
      .selectFrom('students')
      .select('name')
      .where('tenant_id', '=', tenant.id)
      .where('name', 'like', 'Restart Student %')
      .execute();
    expect(rows.map((r) => r.name).sort()).toEqual([...acknowledged].sort());
    expect(t.app.journal.stats()).toMatchObject({ pending: 0, dead: 0 });
    expect(t.app.journal.stats().appendedTotal).toBeGreaterThan(0);
  }, 120_000);
});
