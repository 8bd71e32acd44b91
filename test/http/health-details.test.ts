// /health and /metrics answer without a token: everyone gets the status and the check names,
// and their details (error texts, versions, figures, per-route counts) go only to a token of the
// installation role or a client on this machine (HEALTH_DETAILS=loopback, the default).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { createDetailsGate, isLoopback } from '../../src/http/health-details.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

/** A client on another machine (TEST-NET-3). */
const REMOTE = '203.0.113.5';

/** The value of one sample line, `name{labels} value`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(ENGINES)('health details on %s', (engine) => {
  let t: TestApp;
  /** Its owner holds the installation role. */
  let host: TestTenant;
  /** Another business on the same installation: its admin and owner do not. */
  let guest: TestTenant;

  beforeAll(async () => {
    t = await buildTestApp({ engine });
    host = await createTenantWithUsers(t, 'host');
    guest = await createTenantWithUsers(t, 'guest');
    await setInstallationRole(t, host, 'owner');
    // Something for the checks to say: a write of the guest waiting, one dead.
    const append = (key: string) =>
      t.app.journal.append({
        tenantId: guest.id,
        userId: null,
        idempotencyKey: key,
        fingerprint: '',
        command: 'students.register',
        commandVersion: 1,
        payload: { name: key, birthDate: '2000-01-01', plan: 'p' },
        requestId: key,
      });
    await append('guest-dead');
    const [dead] = t.app.journal.pending(1);
    t.app.journal.finishAttempt(dead?.seq as number, { status: 'dead', error: 'refused for good', errorCode: 'ERR_TEST' });
    await append('guest-waiting');
    expect((await call(t, guest, { method: 'GET', url: '/api/students?limit=1', as: 'viewer' })).statusCode).toBe(200);
  });
  afterAll(() => t.close());

  it('/health from another machine without a token: the status and the check names, no error texts, figures or version', async () => {
    const response = await t.app.http.inject({ url: '/health', remoteAddress: REMOTE });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe('warn');
    expect(Object.keys(body.checks)).toEqual(['database:responseTime', 'pool:connections', 'journal:depth', 'modules', 'jobs', 'uptime']);
    expect(body.checks['journal:depth'][0]).toEqual({ componentType: 'component', status: 'warn', time: expect.any(String) });
    expect(body.checks.modules.map((m: { componentId: string }) => m.componentId)).toContain('students');
    expect(body).not.toHaveProperty('version');
    expect(body).not.toHaveProperty('output');
    expect(response.body).not.toMatch(/observedValue|"output"|waiting to be applied|could not be applied/);
    expect(body.notes).toEqual([expect.stringMatching(/installation role.*HEALTH_DETAILS/)]);
  });

  it("/health shows its details to the installation role's token from anywhere, and to a client on this machine; a tenant admin's token from elsewhere gets none", async () => {
    const detailed = (body: Record<string, unknown> & { checks: Record<string, Array<Record<string, unknown>>> }) => {
      expect(body).toMatchObject({ version: expect.any(String), output: expect.stringMatching(/waiting to be applied/) });
      expect(body.checks['journal:depth']?.[0]).toMatchObject({ observedValue: { depth: 1, dead: 1 } });
    };
    detailed((await t.app.http.inject({ url: '/health', remoteAddress: REMOTE, headers: host.as('owner') })).json());
    detailed((await t.app.http.inject({ url: '/health' })).json());
    const tenantAdmin = (await t.app.http.inject({ url: '/health', remoteAddress: REMOTE, headers: guest.as('admin') })).json();
    expect(tenantAdmin).not.toHaveProperty('version');
    expect(tenantAdmin).not.toHaveProperty('output');
  });

  it('/metrics from another machine without a token: no per-route counts, no versions; the status gauges stay', async () => {
    const remote = await t.app.http.inject({ url: '/metrics', remoteAddress: REMOTE });
    expect(remote.statusCode).toBe(200);
    expect(remote.body).not.toMatch(/http_request_duration_seconds|nodejs_version_info|route="/);
    expect(sample(remote.body, 'robusto_circuit_state')).toBe(0);
    expect(remote.body).toContain('robusto_job_runs_total{job="core.prune-keys"}');
    const tenantAdmin = await t.app.http.inject({ url: '/metrics', remoteAddress: REMOTE, headers: guest.as('owner') });
    expect(tenantAdmin.body).not.toMatch(/http_request_duration_seconds|nodejs_version_info/);
    for (const detailed of [
      await t.app.http.inject({ url: '/metrics', remoteAddress: REMOTE, headers: host.as('owner') }),
      await t.app.http.inject({ url: '/metrics' }),
    ]) {
      expect(detailed.body).toMatch(/^http_request_duration_seconds_count\{route="\/api\/students",method="GET",status_code="200"\} \d+$/m);
      expect(detailed.body).toMatch(/^nodejs_version_info\{version="v\d+/m);
    }
  });
});

describe('HEALTH_DETAILS', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    tenant = await createTenantWithUsers(t, 'details');
  });
  afterAll(() => t.close());

  it('HEALTH_DETAILS: loopback (the default), authorized, always, never', async () => {
    const auth = t.app.identity;
    await setInstallationRole(t, tenant, 'owner');
    const request = (ip: string, role?: 'owner' | 'admin') => ({ ip, headers: role ? tenant.as(role) : {} }) as unknown as FastifyRequest;
    const cases = [
      ['loopback', [true, false, true, false]],
      ['authorized', [false, false, true, false]],
      ['always', [true, true, true, true]],
      ['never', [false, false, false, false]],
    ] as const;
    for (const [mode, expected] of cases) {
      const gate = createDetailsGate(mode, auth, t.app.circuit);
      const seen = [await gate(request('127.0.0.1')), await gate(request(REMOTE)), await gate(request(REMOTE, 'owner')), await gate(request(REMOTE, 'admin'))];
      expect(seen, mode).toEqual(expected);
    }
    expect(t.config.healthDetails).toBe('loopback');
    expect(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '::ffff:10.0.0.1', REMOTE, '1127.0.0.1', '::2'].some(isLoopback)).toBe(false);
  });
});
