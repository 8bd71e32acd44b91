// Alerts: one "firing" POST per condition (not one per check), one "resolved" when it clears;
// a webhook that fails never affects requests.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAlertWatch } from '../../src/ops/alert-watch.js';
import { Alerter } from '../../src/ops/alerts.js';
import { call } from '../support/api.js';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';
import { buildTestApp } from '../support/build-app.js';

const FAST = { intervalMs: 100, healthFailingMs: 600, journalStaleMs: 400 };

describe('alert watch', () => {
  let env: AppBehindProxy;
  let tenant: TestTenant;
  let receiver: AlertReceiver;
  let stop: () => void;
  beforeAll(async () => {
    env = await buildAppBehindProxy();
    tenant = await createTenantWithUsers(env.t, 'alerts');
    receiver = await startAlertReceiver();
    stop = startAlertWatch({ db: env.t.app.db, journal: env.t.app.journal, alerter: new Alerter(receiver.url, env.t.log), log: env.t.log }, FAST);
  });
  afterAll(async () => {
    stop();
    await receiver.close();
    await env.close();
  });

  const of = (kind: string, status: string) => receiver.received.filter((a) => a.kind === kind && a.status === status);

  it('the database down for a while and writes waiting: one alert each, then one "resolved" each', async () => {
    env.proxy.cut();
    const queued = await call(env.t, tenant, {
      method: 'POST',
      url: '/api/students',
      as: 'staff',
      body: { name: 'Alerta', birthDate: '1990-01-01', plan: 'Tarde' },
    });
    expect(queued.statusCode).toBe(202);
    await vi.waitFor(() => expect(of('health_failing', 'firing')).toHaveLength(1), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(of('journal_stale', 'firing')).toHaveLength(1), { timeout: 10_000, interval: 50 });
    // many more checks run meanwhile: still one of each
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(of('health_failing', 'firing')).toHaveLength(1);
    expect(of('journal_stale', 'firing')).toHaveLength(1);
    expect(of('journal_stale', 'firing')[0]?.details).toMatchObject({ pending: 1 });

    env.proxy.pass();
    expect(await env.t.app.replayer.drain()).toBe('drained');
    await vi.waitFor(() => expect(of('health_failing', 'resolved')).toHaveLength(1), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(of('journal_stale', 'resolved')).toHaveLength(1), { timeout: 10_000, interval: 50 });
  }, 30_000);

  it('a new dead letter: one alert', async () => {
    await env.t.app.journal.append({
      tenantId: tenant.id,
      userId: null,
      idempotencyKey: 'auto:alert-dead',
      fingerprint: '',
      command: 'students.update',
      commandVersion: 1,
      payload: { id: '01900000-0000-7000-8000-000000000001', plan: 'x' },
      requestId: 'alert-dead',
    });
    expect(await env.t.app.replayer.drain()).toBe('drained');
    await vi.waitFor(() => expect(of('dead_letter', 'firing')).toHaveLength(1), { timeout: 5_000, interval: 50 });
    expect(of('dead_letter', 'firing')[0]?.details).toMatchObject({ dead: 1 });
  });
});

describe('a webhook that fails', () => {
  it('is logged and never affects requests', async () => {
    const t = await buildTestApp({ engine: 'sqlite' });
    try {
      const tenant = await createTenantWithUsers(t, 'deadhook');
      const alerter = new Alerter('http://127.0.0.1:1/alerts', t.log);
      alerter.raise('dead_letter', 'test alert');
      expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'viewer' })).statusCode).toBe(200);
      await vi.waitFor(() => expect(t.logs.some((l) => l.msg === 'alert webhook unreachable')).toBe(true), { timeout: 6_000, interval: 50 });
    } finally {
      await t.close();
    }
  });
});
