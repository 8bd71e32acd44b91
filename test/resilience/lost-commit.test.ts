// A connection cut at COMMIT, on the wire: the fault proxy resets the registration's connection
// right before the COMMIT reaches PostgreSQL (rolled back) or right after PostgreSQL answered it
// (committed, the answer lost). Either way the client cannot know, so the write is acknowledged
// 202 and journaled; replay stores it exactly once, with exactly one audit row.
import { describe, expect, it } from 'vitest';
import { call } from '../support/api.js';
import type { TestTenant } from '../support/auth.js';
import { useAppBehindProxy } from '../support/behind-proxy.js';
import type { TestApp } from '../support/build-app.js';
import type { FaultProxy } from '../support/fault-proxy.js';

describe('a PostgreSQL connection reset at COMMIT', () => {
  let proxy: FaultProxy;
  let t: TestApp;
  let tenant: TestTenant;
  useAppBehindProxy('lost-commit', (app) => ({ t, proxy, tenant } = app));

  async function stored(name: string): Promise<{ students: number; audit: number }> {
    const students = await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', tenant.id).where('name', '=', name).execute();
    const audit =
      students.length === 0
        ? []
        : await t.app.db.kysely
            .selectFrom('audit_log')
            .select('id')
            .where('tenant_id', '=', tenant.id)
            .where(
              'entity_id',
              'in',
              students.map((s) => s.id),
            )
            .execute();
    return { students: students.length, audit: audit.length };
  }

  it.each([
    ['before', 0],
    ['after', 1],
  ] as const)('cut %s forwarding the COMMIT: 202, then one row and one audit row', async (when, committedByTheCut) => {
    const name = `Cut ${when} commit`;
    // Warm the pool and the principal cache, as a running server would be.
    expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'staff' })).statusCode).toBe(200);
    const struck = proxy.cutAtCommit(when, /insert into "students"/i);
    const response = await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '1999-09-09', plan: 'Noite' } });
    await struck;
    expect(response.statusCode, response.body).toBe(202);
    const receipt = response.json().receipt as string;
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'pending', appliedIfAudit: expect.any(String) });
    // What the cut left in the database: nothing before the COMMIT, the row and its audit row after it.
    expect(await stored(name)).toEqual({ students: committedByTheCut, audit: committedByTheCut });

    expect(await t.app.replayer.drain()).toBe('drained');
    expect(await stored(name)).toEqual({ students: 1, audit: 1 });
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: when === 'after' ? 'duplicate' : 'applied' });
    const answer = await call(t, tenant, { method: 'GET', url: `/api/receipts/${receipt}`, as: 'staff' });
    expect(answer.json()).toMatchObject({ status: 'applied', result: { status: 201, body: { name } } });
  });
});
