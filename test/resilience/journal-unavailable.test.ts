// A journal that cannot be written (its file cannot be created; the same path as a failed fsync):
// the server still starts and writes to the database while it answers; when it does not, writes
// get 503 ERR_JOURNAL_UNAVAILABLE, never a 202 that nothing backs.
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';

describe('a journal that cannot be written', () => {
  let env: AppBehindProxy;
  let tenant: TestTenant;

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-nojournal-'));
    // A directory where the journal's file should be: no user, not even root, can open it.
    mkdirSync(path.join(dataDir, 'journal.db'));
    env = await buildAppBehindProxy({ env: { DATA_DIR: dataDir } });
    tenant = await createTenantWithUsers(env.t, 'nojournal');
  });
  afterAll(() => env.close());

  const register = (name: string) =>
    call(env.t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '1970-07-07', plan: 'Noite' } });

  it('says so in health, writes straight to the database while it answers, and answers 503 (never 202) when it does not', async () => {
    const health = await env.t.app.http.inject('/health');
    expect(health.json().checks['journal:depth'][0]).toMatchObject({ status: 'fail', output: expect.stringMatching(/cannot open .*journal\.db/) });
    expect((await env.t.app.http.inject('/health/ready')).statusCode).toBe(503);
    expect((await register('No Journal Direct')).statusCode).toBe(201);

    env.proxy.cut();
    const refused = await Promise.all(Array.from({ length: 5 }, (_, i) => register(`No Journal Refused ${i}`)));
    // The five failures open the circuit: the next write is not even tried, and is told the same.
    refused.push(await register('No Journal Refused 5'));
    for (const r of refused) {
      expect(r.statusCode).toBe(503);
      expect(r.json()).toMatchObject({ code: 'ERR_JOURNAL_UNAVAILABLE' });
      expect(r.json().detail).toMatch(/^The database is not answering, and the local journal cannot take the write: .*Nothing was saved; retry later\.$/);
      expect(r.headers['retry-after']).toBeDefined();
    }
    env.proxy.pass();
    const rows = await env.t.app.db.kysely.selectFrom('students').select('name').where('tenant_id', '=', tenant.id).execute();
    expect(rows.map((r) => r.name)).toEqual(['No Journal Direct']);
  }, 30_000);
});
