// GET /metrics: Prometheus text with every named series, and values that follow what happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

/** The value of one sample line, `name{labels} value`, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics on PostgreSQL', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'postgres' });
    tenant = await createTenantWithUsers(t, 'metrics');
  });
  afterAll(() => t.close());

  it('has request durations by route and status, pool, journal, circuit, jobs, event loop, memory and CPU', async () => {
    for (let n = 0; n < 3; n++) expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'viewer' })).statusCode).toBe(200);
    expect(
      (await call(t, tenant, { method: 'POST', url: '/api/students', as: 'viewer', body: { name: 'x', birthDate: '2000-01-01', plan: 'p' } })).statusCode,
    ).toBe(403);
    const response = await t.app.http.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(sample(text, 'http_request_duration_seconds_count{route="/api/students",method="GET",status_code="200"}')).toBe(3);
    expect(sample(text, 'http_request_duration_seconds_count{route="/api/students",method="POST",status_code="403"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_bucket{le="10",route="/api/students",method="GET",status_code="200"}')).toBe(3);
    expect(sample(text, 'robusto_db_pool_connections{state="max"}')).toBe(t.config.pool.max);
    expect(sample(text, 'robusto_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'robusto_journal_depth')).toBe(0);
    expect(sample(text, 'robusto_journal_oldest_pending_age_seconds')).toBe(0);
    expect(sample(text, 'robusto_journal_dead_letters')).toBe(0);
    expect(sample(text, 'robusto_circuit_state')).toBe(0);
    // Jobs have not been started in this app: their series are there, at zero.
    expect(sample(text, 'robusto_job_runs_total{job="stock.expire-lots"}')).toBe(0);
    expect(sample(text, 'robusto_job_failures_total{job="core.prune-keys"}')).toBe(0);
    expect(sample(text, 'robusto_job_last_success_timestamp_seconds{job="core.watch-pool"}')).toBe(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('follows the journal: a queued write shows in the depth and the oldest age', async () => {
    await t.app.journal.append({
      tenantId: tenant.id,
      userId: null,
      idempotencyKey: 'auto:metrics',
      fingerprint: '',
      command: 'students.register',
      commandVersion: 1,
      payload: { name: 'Métrica', birthDate: '1990-01-01', plan: 'p' },
      requestId: 'metrics',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = (await t.app.http.inject('/metrics')).body;
    expect(sample(text, 'robusto_journal_depth')).toBe(1);
    expect(sample(text, 'robusto_journal_oldest_pending_age_seconds')).toBeGreaterThan(0);
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(sample((await t.app.http.inject('/metrics')).body, 'robusto_journal_depth')).toBe(0);
  });
});
