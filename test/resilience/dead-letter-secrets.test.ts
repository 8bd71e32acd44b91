// A journaled write that becomes a dead letter keeps its secrets inside: the user creation's
// password hash is stored for replay but shown masked by the admin API (which the admin page
// reads) and by the CLI. The user's email, taken meanwhile by a row written straight to the
// database, makes the replay fail for good.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newId } from '../../src/shared/ids.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';
import { spawnRobusto } from '../support/spawn-robusto.js';

describe('secrets of a dead letter', () => {
  let env: AppBehindProxy;
  let tenant: TestTenant;
  beforeAll(async () => {
    env = await buildAppBehindProxy();
    tenant = await createTenantWithUsers(env.t, 'secrets');
    env.t.app.replayer.start();
  });
  afterAll(() => env?.close());

  it('a user creation parked as dead shows no password hash in the API or the CLI; the journal keeps it for a retry', async () => {
    const { t, proxy, database } = env;
    expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'owner' })).statusCode).toBe(200);
    proxy.cut();
    const created = await call(t, tenant, {
      method: 'POST',
      url: '/api/auth/users',
      as: 'owner',
      body: { email: 'taken@secrets.test', name: 'Ana Souza', role: 'staff', password: 'a-long-enough-password' },
    });
    expect(created.statusCode).toBe(202);
    const receipt = created.json().receipt as string;

    // Meanwhile the email is taken, straight in the database.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const now = new Date().toISOString();
    await client.query(
      `insert into users (id, tenant_id, email, name, role, active, password_hash, created_at, updated_at) values ($1, $2, 'taken@secrets.test', 'Other', 'staff', 1, 'x', $3, $3)`,
      [newId(), tenant.id, now],
    );
    await client.end();

    proxy.pass();
    await vi.waitFor(() => expect(t.app.journal.stats().dead).toBe(1), { timeout: 30_000, interval: 100 });
    const stored = t.app.journal.byReceipt(tenant.id, receipt);
    const hash = (stored?.payload as { passwordHash: string }).passwordHash;
    expect(hash).toMatch(/^\$?scrypt|^\$/);

    const letters = await call(t, tenant, { method: 'GET', url: '/api/system/dead-letters', as: 'owner' });
    expect(letters.statusCode).toBe(200);
    expect(letters.body).not.toContain(hash);
    expect(letters.json().items).toEqual([
      expect.objectContaining({
        receipt,
        command: 'auth.create_user',
        payload: expect.objectContaining({ email: 'taken@secrets.test', passwordHash: '[REDACTED]' }),
      }),
    ]);

    const cli = await spawnRobusto({ args: ['journal', 'dead-letters'], dataDir: t.config.paths.dataDir });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(receipt);
    expect(cli.output()).toContain('"passwordHash":"[REDACTED]"');
    expect(cli.output()).not.toContain(hash);
    await cli.destroy();
  }, 60_000);
});
