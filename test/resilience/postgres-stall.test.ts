// The private PostgreSQL stalled (every process stopped with SIGSTOP) while registrations and
// health checks keep coming: the stall is noticed within about a second, so writes are answered
// 202 quickly instead of hanging, /health answers within its budget, health checks never pile
// up waiting for connections, and once the server runs again every acknowledged write exists
// exactly once and reads work.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';

const WRITERS = 5;
const HEALTH_POLLERS = 10;
/** Load before the stall, the stall itself, and load after it. */
const BEFORE_MS = 2_000;
const STALL_MS = 8_000;
const AFTER_MS = 3_000;
/** The longest a write started during the stall may take (the deadline is 1 s; slack for a busy machine). */
const STALLED_WRITE_MAX_MS = 1_800;
/** `/health`'s budget. */
const HEALTH_MAX_MS = 2_000;
/** Callers waiting for a pooled connection, at most: the writes caught by the stall, never the health checks. */
const POOL_WAITING_MAX = WRITERS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL stalled under load', () => {
  let server: PrivatePostgres;
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    server = await startPrivatePostgres();
    t = await buildTestApp({ engine: 'postgres', databaseUrl: server.url, env: { DB_WRITE_DEADLINE_MS: '1000' } });
    tenant = await createTenantWithUsers(t, 'stall');
    t.app.replayer.start();
  }, 60_000);
  afterAll(async () => {
    await server?.resume();
    await t?.close();
    await server?.destroy();
  }, 60_000);

  it('journals writes within about a second, answers /health in time, and applies each acknowledged write once', async () => {
    const acknowledged: string[] = [];
    const failures: string[] = [];
    const writes: Array<{ start: number; end: number; status: number }> = [];
    const stalledHealth: Array<{ ms: number; status: number }> = [];
    let stalled: { from: number; to: number } | undefined;
    let circuitOpened = false;
    let poolWaitingMax = 0;
    const until = Date.now() + BEFORE_MS + STALL_MS + AFTER_MS;
    const during = (start: number, end: number) => stalled !== undefined && start >= stalled.from && end <= stalled.to;
    let n = 0;

    const writer = async () => {
      while (Date.now() < until) {
        const name = `Stall Student ${n++}`;
        const start = performance.now();
        const r = await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '1980-08-08', plan: 'Manhã' } });
        const end = performance.now();
        if (r.statusCode === 201 || r.statusCode === 202) acknowledged.push(name);
        else failures.push(`${r.statusCode} ${r.body}`);
        writes.push({ start, end, status: r.statusCode });
      }
    };
    const poller = async () => {
      while (Date.now() < until) {
        const start = performance.now();
        const r = await t.app.http.inject({ method: 'GET', url: '/health' });
        const end = performance.now();
        if (during(start, end)) stalledHealth.push({ ms: Math.round(end - start), status: r.statusCode });
        await sleep(100);
      }
    };
    const watch = setInterval(() => {
      poolWaitingMax = Math.max(poolWaitingMax, t.app.db.poolStats().waiting);
      if (!t.app.circuit.closed) circuitOpened = true;
    }, 20);

    try {
      const load = Promise.all([...Array.from({ length: WRITERS }, writer), ...Array.from({ length: HEALTH_POLLERS }, poller)]);
      await sleep(BEFORE_MS);
      await server.pause();
      const from = performance.now();
      stalled = { from, to: Infinity };
      await sleep(STALL_MS);
      await server.resume();
      stalled = { from, to: performance.now() };
      await load;
    } finally {
      clearInterval(watch);
      await server.resume();
    }

    // Writes answered during the stall, and how long each waited on it (one in flight when it began counts from then).
    const { from, to } = stalled;
    const stalledWrites = writes.filter((w) => w.end > from && w.start < to).map((w) => ({ ...w, ms: Math.round(w.end - Math.max(w.start, from)) }));
    const firstQueued = Math.min(...stalledWrites.filter((w) => w.status === 202).map((w) => w.end)) - from;
    const figures = {
      firstQueuedMs: Math.round(firstQueued),
      stalledWriteMaxMs: Math.max(...stalledWrites.map((w) => w.ms)),
      healthMaxMs: Math.max(...stalledHealth.map((h) => h.ms)),
      poolWaitingMax,
    };
    console.info('stall figures', figures);
    expect(failures).toEqual([]);
    expect(circuitOpened).toBe(true);
    // Writes during the stall: some were answered (none hung through it), all quickly, and queued.
    expect(stalledWrites.length).toBeGreaterThan(WRITERS);
    expect(Math.max(...stalledWrites.map((w) => w.ms))).toBeLessThanOrEqual(STALLED_WRITE_MAX_MS);
    expect(stalledWrites.filter((w) => w.start >= from).every((w) => w.status === 202)).toBe(true);
    expect(firstQueued).toBeLessThanOrEqual(STALLED_WRITE_MAX_MS);
    // Health during the stall: answered (503) within its budget, and never piling up on the pool.
    expect(stalledHealth.length).toBeGreaterThan(HEALTH_POLLERS);
    expect(Math.max(...stalledHealth.map((h) => h.ms))).toBeLessThanOrEqual(HEALTH_MAX_MS);
    expect(stalledHealth.filter((h) => h.ms > 500).every((h) => h.status === 503)).toBe(true);
    expect(poolWaitingMax).toBeLessThanOrEqual(POOL_WAITING_MAX);

    // After the stall: the journal drains, every acknowledged write exists exactly once, reads work.
    await vi.waitFor(() => expect(t.app.circuit.closed && !t.app.journal.hasPending()).toBe(true), { timeout: 60_000, interval: 100 });
    const rows = await t.app.db.kysely
      .selectFrom('students')
      .select('name')
      .where('tenant_id', '=', tenant.id)
      .where('name', 'like', 'Stall Student %')
      .execute();
    expect(rows.map((r) => r.name).sort()).toEqual([...acknowledged].sort());
    expect(t.app.journal.stats()).toMatchObject({ pending: 0, dead: 0 });
    const read = await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'staff' });
    expect(read.statusCode).toBe(200);
    const health = await t.app.http.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(t.app.db.poolStats().waiting).toBe(0);
  }, 120_000);
});
