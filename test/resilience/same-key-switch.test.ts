// One Idempotency-Key, many concurrent requests, while writes move from the database to the
// journal: whatever path each request takes, the write has one effect and every answer names it.
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import type { TestTenant } from '../support/auth.js';
import { useAppBehindProxy } from '../support/behind-proxy.js';
import type { TestApp } from '../support/build-app.js';
import type { FaultProxy } from '../support/fault-proxy.js';

const CONCURRENT = 20;

describe('20 concurrent requests with one key across the direct and journal paths', () => {
  let proxy: FaultProxy;
  let t: TestApp;
  let tenant: TestTenant;
  useAppBehindProxy('samekey', (app) => ({ t, proxy, tenant } = app), { replaying: true });

  const register = (name: string, key: string) =>
    call(t, tenant, {
      method: 'POST',
      url: '/api/students',
      as: 'staff',
      body: { name, birthDate: '1995-05-05', plan: 'Tarde' },
      headers: { 'idempotency-key': key },
    });

  async function rowsNamed(name: string): Promise<string[]> {
    return (await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', tenant.id).where('name', '=', name).execute()).map((r) => r.id);
  }

  async function backUp(): Promise<void> {
    proxy.pass();
    await vi.waitFor(() => expect(t.app.circuit.closed && !t.app.journal.hasPending()).toBe(true), { timeout: 30_000, interval: 100 });
  }

  /** The id each answer names: a 201's body, or the applied result of a 202's receipt. */
  async function idsNamedBy(responses: Awaited<ReturnType<typeof register>>[]): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const r of responses) {
      if (r.statusCode === 201) ids.add(r.json().id as string);
      else {
        const receipt = await call(t, tenant, { method: 'GET', url: `/api/receipts/${r.json().receipt}`, as: 'staff' });
        expect(receipt.json()).toMatchObject({ status: 'applied', result: { status: 201 } });
        ids.add(receipt.json().result.body.id as string);
      }
    }
    return ids;
  }

  it('on the journal path: one receipt for all, one row once applied, and the key then answers from the database', async () => {
    proxy.cut();
    await vi.waitFor(async () => expect((await register(`Opener ${randomUUID()}`, randomUUID())).statusCode).toBe(202), { timeout: 15_000, interval: 50 });
    const key = randomUUID();
    const responses = await Promise.all(Array.from({ length: CONCURRENT }, () => register('Same Key Journal', key)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(CONCURRENT).fill(202));
    expect(new Set(responses.map((r) => r.json().receipt)).size).toBe(1);
    await backUp();
    const rows = await rowsNamed('Same Key Journal');
    expect(rows).toHaveLength(1);
    expect(await idsNamedBy(responses)).toEqual(new Set(rows));
    const again = await register('Same Key Journal', key);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(rows[0]);
  }, 60_000);

  it('across the switch: half sent to a slow database, the rest once the first has answered and the database is cut: one row, every answer names it', async () => {
    const key = randomUUID();
    proxy.latency(50);
    const first = Array.from({ length: CONCURRENT / 2 }, () => register('Same Key Switch', key));
    await Promise.race(first);
    proxy.cut();
    const second = Array.from({ length: CONCURRENT / 2 }, () => register('Same Key Switch', key));
    const responses = await Promise.all([...first, ...second]);
    const statuses = responses.map((r) => r.statusCode);
    expect(
      statuses.every((s) => s === 201 || s === 202),
      statuses.join(','),
    ).toBe(true);
    // both paths were taken: the first answer came from the database, the last ones from the journal
    expect(statuses).toContain(201);
    expect(statuses.slice(CONCURRENT / 2)).toEqual(Array(CONCURRENT / 2).fill(202));
    await backUp();
    const rows = await rowsNamed('Same Key Switch');
    expect(rows).toHaveLength(1);
    expect(await idsNamedBy(responses)).toEqual(new Set(rows));
    const audits = await t.app.db.kysely
      .selectFrom('audit_log')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('entity_id', '=', rows[0] as string)
      .execute();
    expect(audits).toHaveLength(1);
  }, 60_000);
});
