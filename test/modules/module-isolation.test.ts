import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineJob } from '../../src/jobs/job.js';
import { BUILTIN_MODULES } from '../../src/builtin-modules.js';
import { defineModule, type ModuleSource } from '../../src/modules/module.js';
import { createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { fixtureSource } from '../support/fixtures.js';
import { ENGINES } from '../support/test-database.js';

describe.each(ENGINES)('module isolation on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  /** A healthy module's job, due every 100 ms: how often it ran. */
  let ticks = 0;
  const ticking: ModuleSource = {
    name: 'ticking',
    origin: 'test',
    load: async () => ({
      default: defineModule({ name: 'ticking', jobs: [defineJob({ name: 'tick', schedule: { everyMs: 100 }, run: async () => void (ticks += 1) })] }),
    }),
  };
  beforeAll(async () => {
    t = await buildTestApp({
      engine,
      modules: [
        ...BUILTIN_MODULES,
        fixtureSource('whatsapp'),
        fixtureSource('bad_register'),
        fixtureSource('bad_schema'),
        fixtureSource('bad_migration'),
        fixtureSource('not_a_module'),
        fixtureSource('faulty'),
        fixtureSource('bad_job'),
        ticking,
      ],
    });
    tenant = await createTenantWithUsers(t, 'iso');
    await setInstallationRole(t, tenant, 'admin');
  });
  afterAll(() => t.close());

  it('keeps serving the healthy modules', async () => {
    expect((await t.app.http.inject({ url: '/api/system/info', headers: tenant.as('admin') })).statusCode).toBe(200);
    expect((await t.app.http.inject('/api/faulty/ok')).json()).toEqual({ ok: true });
  });

  it.each([
    ['whatsapp', 'import', /robusto-whatsapp-client-that-is-not-installed/],
    ['bad_register', 'register', /payment gateway/],
    ['bad_schema', 'register', /validation schema/],
    ['bad_migration', 'migrate', /a_table_that_does_not_exist/],
    ['not_a_module', 'import', /does not export a module definition/],
    ['bad_job', 'import', /job "nightly-report": schedule.cron "every day at noon" is not a cron expression/],
  ])('records %s as failed at %s with its error', (name, stage, error) => {
    const module = t.app.registry.modules.find((m) => m.name === name);
    expect(module).toMatchObject({ status: 'failed', stage });
    expect(module?.error).toMatch(error);
  });

  it.each([
    '/api/whatsapp',
    '/api/whatsapp/send',
    '/api/bad_register/first',
    '/api/bad_schema/x',
    '/api/bad_migration/ping',
    '/api/not_a_module/anything',
    '/api/bad_job/ping',
  ])('%s answers 503 ERR_MODULE_UNAVAILABLE', async (url) => {
    const response = await t.app.http.inject(url);
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ code: 'ERR_MODULE_UNAVAILABLE', status: 503 });
  });

  it('/health is warn (200) and names each failed module with its error', async () => {
    const response = await t.app.http.inject('/health');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/health\+json/);
    const body = response.json();
    expect(body.status).toBe('warn');
    const modules = body.checks.modules as Array<{ componentId: string; status: string; output?: string }>;
    expect(modules.find((m) => m.componentId === 'system')?.status).toBe('pass');
    expect(modules.find((m) => m.componentId === 'whatsapp')).toMatchObject({ status: 'warn', output: expect.stringMatching(/failed at import/) });
    expect(body.output).toMatch(/whatsapp/);
    expect(body.output).toMatch(/bad_migration/);
  });

  it("the healthy modules' jobs run: a built-in one and one due every 100 ms, again and again; the failed module has none", async () => {
    t.app.jobs.start();
    await vi.waitFor(() => expect(ticks).toBeGreaterThanOrEqual(5), { timeout: 15_000, interval: 20 });
    const states = new Map((await t.app.jobs.states()).map((j) => [j.name, j]));
    await vi.waitFor(async () => expect((await t.app.jobs.states()).find((j) => j.name === 'stock.expire-lots')?.runs).toBeGreaterThanOrEqual(1), {
      timeout: 15_000,
      interval: 50,
    });
    expect(states.get('ticking.tick')).toMatchObject({ consecutiveFailures: 0, lastError: null });
    expect([...states.keys()].some((name) => name.startsWith('bad_job.'))).toBe(false);
    await t.app.jobs.stop();
  });

  it('/health/ready stays 200: the working modules should get traffic', async () => {
    expect((await t.app.http.inject('/health/ready')).statusCode).toBe(200);
  });
});
