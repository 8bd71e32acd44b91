// Periodic jobs on both engines: the 5th failure in a row alerts once and the success after it
// resolves once (at a local receiver), state in /health and /api/system/jobs, one run per slot
// across processes sharing the database, and the stock module's daily write-off of expired lots.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../src/db/create-db.js';
import { bindJob, defineJob } from '../../src/jobs/job.js';
import { FAILURES_TO_ALERT, JobRunner } from '../../src/jobs/job-runner.js';
import { DatabaseJobStore } from '../../src/jobs/job-store.js';
import { BUILTIN_MODULES } from '../../src/builtin-modules.js';
import { defineModule, type ModuleSource } from '../../src/modules/module.js';
import { sleep } from '../../src/shared/sleep.js';
import { call } from '../support/api.js';
import { countingJob } from '../support/counting-job.js';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

/** Whether the fixture job fails, and how often it ran. */
const flaky = { failing: true, runs: 0 };

const flakyModule: ModuleSource = {
  name: 'flaky',
  origin: 'test',
  load: async () => ({
    default: defineModule({
      name: 'flaky',
      jobs: [
        defineJob({
          name: 'sync',
          // Only the run at start and its retries happen during the test.
          schedule: { everyMs: 3_600_000 },
          retry: { firstDelayMs: 20, maxDelayMs: 80 },
          run: async () => {
            flaky.runs += 1;
            if (flaky.failing) throw new Error('the partner API answered 502');
          },
        }),
      ],
    }),
  }),
};

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe.each(ENGINES)('jobs on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  let receiver: AlertReceiver;
  beforeAll(async () => {
    Object.assign(flaky, { failing: true, runs: 0 });
    receiver = await startAlertReceiver();
    t = await buildTestApp({ engine, modules: [...BUILTIN_MODULES, flakyModule], env: { ALERT_WEBHOOK_URL: receiver.url } });
    tenant = await createTenantWithUsers(t, 'jobs');
    await setInstallationRole(t, tenant, 'admin');
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  const jobOf = async (name: string) => {
    const response = await call(t, tenant, { method: 'GET', url: '/api/system/jobs', as: 'admin' });
    expect(response.statusCode, response.body).toBe(200);
    return (response.json().items as Array<Record<string, unknown>>).find((j) => j.name === name);
  };
  const alerts = (status: string) => receiver.received.filter((a) => a.kind === 'job_failing' && a.status === status);

  it('writes off the lots past their date at start, through the dispatcher, and leaves the others', async () => {
    const product = await call(t, tenant, { method: 'POST', url: '/api/products', body: { sku: 'LEITE-1L', name: 'Leite', unit: 'l' } });
    expect(product.statusCode, product.body).toBe(201);
    const lot = async (code: string, expiresOn: string) => {
      const response = await call(t, tenant, { method: 'POST', url: '/api/stock/lots', body: { productId: product.json().id, code, quantity: 4, expiresOn } });
      expect(response.statusCode, response.body).toBe(201);
      return response.json().id as string;
    };
    const [old, today, later] = [await lot('LEITE-OLD', day(-2)), await lot('LEITE-TODAY', day(0)), await lot('LEITE-LATER', day(5))];

    t.app.jobs.start();
    await vi.waitFor(async () => expect((await jobOf('stock.expire-lots'))?.lastSuccessAt).not.toBeNull(), { timeout: 10_000, interval: 50 });

    const lots = await t.app.db.kysely.selectFrom('stock_lots').select(['id', 'quantity', 'expired']).where('tenant_id', '=', tenant.id).execute();
    const byId = new Map(lots.map((l) => [l.id, l]));
    expect(byId.get(old)).toMatchObject({ quantity: 0, expired: 1 });
    expect(byId.get(today)).toMatchObject({ quantity: 4000, expired: 0 });
    expect(byId.get(later)).toMatchObject({ quantity: 4000, expired: 0 });
    const movements = await t.app.db.kysely
      .selectFrom('stock_movements')
      .select(['type', 'quantity', 'reason', 'user_id'])
      .where('lot_id', '=', old)
      .where('type', '=', 'expire')
      .execute();
    expect(movements).toEqual([{ type: 'expire', quantity: -4000, reason: `expired on ${day(-2)}`, user_id: null }]);
    const audit = await t.app.db.kysely
      .selectFrom('audit_log')
      .select(['action', 'request_id'])
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'stock.move')
      .execute();
    expect(audit).toEqual([{ action: 'stock.move', request_id: expect.stringMatching(/^job:stock\.expire-lots:/) }]);
  });

  it('a job failing 5 times in a row: exactly one alert; /health warns; the success after it: one "resolved"', async () => {
    // Started by the test above (starting again changes nothing): the fixture job has been failing and retrying since.
    t.app.jobs.start();
    await vi.waitFor(() => expect(alerts('firing')).toHaveLength(1), { timeout: 10_000, interval: 20 });
    await vi.waitFor(() => expect(flaky.runs).toBeGreaterThan(FAILURES_TO_ALERT + 2), { timeout: 10_000, interval: 20 });
    expect(alerts('firing')).toHaveLength(1);
    expect(alerts('firing')[0]).toMatchObject({
      subject: 'flaky.sync',
      details: { job: 'flaky.sync', consecutiveFailures: FAILURES_TO_ALERT, error: 'the partner API answered 502' },
    });
    expect(await jobOf('flaky.sync')).toMatchObject({
      scope: 'cluster',
      lastSuccessAt: null,
      lastError: 'the partner API answered 502',
      consecutiveFailures: expect.any(Number),
    });
    const health = (await t.app.http.inject('/health')).json();
    expect(health.status).toBe('warn');
    expect(health.checks.jobs.find((c: { componentId: string }) => c.componentId === 'flaky.sync')).toMatchObject({
      status: 'warn',
      output: expect.stringContaining('the partner API answered 502'),
    });

    flaky.failing = false;
    await vi.waitFor(() => expect(alerts('resolved')).toHaveLength(1), { timeout: 10_000, interval: 20 });
    await sleep(300);
    expect(alerts('firing')).toHaveLength(1);
    expect(alerts('resolved')).toHaveLength(1);
    expect(await jobOf('flaky.sync')).toMatchObject({ consecutiveFailures: 0, lastError: null, lastSuccessAt: expect.any(String) });
    expect((await t.app.http.inject('/health')).json().checks.jobs.every((c: { status: string }) => c.status === 'pass')).toBe(true);
    const metrics = (await t.app.http.inject('/metrics')).body;
    expect(metrics).toMatch(/^robusto_job_runs_total\{job="flaky.sync"\} \d+$/m);
    expect(metrics).toMatch(/^robusto_job_failures_total\{job="flaky.sync"\} \d+$/m);
    expect(metrics).toMatch(/^robusto_job_last_success_timestamp_seconds\{job="stock.expire-lots"\} \d{10}/m);
  });

  it('processes sharing the database run each slot once, never two at a time', async () => {
    // A second pool on the same database, as another worker or instance would have.
    const other = createDb(t.config, t.log);
    const shared = countingJob(100, 30);
    const runners = [t.app.db, other, t.app.db, other].map(
      (db) => new JobRunner([bindJob<void>('test', shared.job, undefined)], { cluster: new DatabaseJobStore(db), log: t.log, alerts: t.app.alerter }),
    );
    const started = Date.now();
    for (const r of runners) r.start();
    await sleep(1_000);
    await Promise.all(runners.map((r) => r.stop()));
    const slots = Math.floor((Date.now() - started) / 100) + 1;
    await other.close();
    expect(shared.overlapped()).toBe(false);
    expect(shared.runs()).toBeGreaterThanOrEqual(5);
    expect(shared.runs()).toBeLessThanOrEqual(slots + 1);
  });
});

/** A module with one job, from its definition's parts (for the neighbours test). */
const moduleWithJob = (name: string, job: Parameters<typeof defineJob>[0]): ModuleSource => ({
  name,
  origin: 'test',
  load: async () => ({ default: defineModule({ name, jobs: [defineJob(job)] }) }),
});

describe.each(ENGINES)("a bad module's job beside good ones, on %s", (engine) => {
  /** The failing job's runs, the hanging job's starts, the neighbour's runs. */
  const seen = { failing: 0, hangs: 0, neighbour: 0 };
  /** The neighbour's runs during each hung run, from its start to its abort at the timeout. */
  const duringHangs: number[] = [];
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    const modules = [
      ...BUILTIN_MODULES,
      moduleWithJob('failing', {
        name: 'sync',
        schedule: { everyMs: 3_600_000 },
        retry: { firstDelayMs: 20, maxDelayMs: 80 },
        run: async () => {
          seen.failing += 1;
          throw new Error('the partner API answered 502');
        },
      }),
      moduleWithJob('hanging', {
        name: 'export',
        schedule: { everyMs: 3_600_000 },
        timeoutMs: 1_500,
        retry: { firstDelayMs: 20, maxDelayMs: 80 },
        // never ends, whatever its signal says
        run: (_input: unknown, signal: AbortSignal) => {
          seen.hangs += 1;
          const neighbourAtStart = seen.neighbour;
          signal.addEventListener('abort', () => duringHangs.push(seen.neighbour - neighbourAtStart), { once: true });
          return new Promise<void>(() => undefined);
        },
      }),
      moduleWithJob('neighbour', {
        name: 'tick',
        schedule: { everyMs: 100 },
        run: async () => {
          seen.neighbour += 1;
        },
      }),
    ];
    t = await buildTestApp({ engine, modules });
    tenant = await createTenantWithUsers(t, 'neighbours');
    await setInstallationRole(t, tenant, 'admin');
  });
  afterAll(async () => {
    await t.close();
  });

  it("the other modules' jobs keep running on schedule while one job keeps failing and another hangs past its timeout", async () => {
    t.app.jobs.start();
    // the bad jobs at work: failing again and again, hanging again and again (each hung run cut at its timeout and retried)
    await vi.waitFor(() => expect(seen.failing).toBeGreaterThanOrEqual(FAILURES_TO_ALERT), { timeout: 15_000, interval: 20 });
    await vi.waitFor(() => expect(duringHangs.length).toBeGreaterThanOrEqual(2), { timeout: 15_000, interval: 20 });
    // while each run hung (1.5 s), the neighbour, due every 100 ms, kept running
    for (const runs of duringHangs) expect(runs).toBeGreaterThanOrEqual(3);
    // meanwhile the neighbour, due every 100 ms, runs again and again
    const before = { neighbour: seen.neighbour, failing: seen.failing, hangs: seen.hangs };
    await vi.waitFor(() => expect(seen.neighbour).toBeGreaterThanOrEqual(before.neighbour + 10), { timeout: 15_000, interval: 20 });
    // …while the bad ones were still at it
    await vi.waitFor(() => expect(seen.failing).toBeGreaterThan(before.failing), { timeout: 5_000, interval: 20 });
    await vi.waitFor(() => expect(seen.hangs).toBeGreaterThan(before.hangs), { timeout: 5_000, interval: 20 });
    const response = await call(t, tenant, { method: 'GET', url: '/api/system/jobs', as: 'admin' });
    const jobs = new Map(
      (response.json().items as Array<{ name: string; runs: number; consecutiveFailures: number; lastError: string | null }>).map((j) => [j.name, j]),
    );
    expect(jobs.get('neighbour.tick')).toMatchObject({ consecutiveFailures: 0, lastError: null, runs: expect.any(Number) });
    expect(jobs.get('neighbour.tick')?.runs).toBeGreaterThanOrEqual(10);
    expect(jobs.get('failing.sync')).toMatchObject({ lastError: 'the partner API answered 502' });
    expect(jobs.get('hanging.export')?.lastError).toMatch(/timeout of 1500 ms/);
    expect(jobs.get('hanging.export')?.consecutiveFailures).toBeGreaterThanOrEqual(1);
    // a built-in module's job ran too
    expect(jobs.get('stock.expire-lots')?.runs).toBeGreaterThanOrEqual(1);
  }, 45_000);
});
