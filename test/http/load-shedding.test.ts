// Load shedding: while the event loop lags past SHED_LOAD_AT_DELAY_MS, API requests get 503
// ERR_OVERLOADED with Retry-After at once; health still answers; once calm, requests are served.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // a synchronous stretch, as a heavy report or a runaway loop would be
  }
}

describe('load shedding', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite', env: { SHED_LOAD_AT_DELAY_MS: '100' } });
    tenant = await createTenantWithUsers(t, 'shedding');
  });
  afterAll(() => t.close());

  it('answers 503 ERR_OVERLOADED while the event loop lags, health still 200, and serves again once calm', async () => {
    const students = () => call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'viewer' });
    const http = t.app.http as unknown as { isUnderPressure(): boolean };
    // calm first (building the app may itself have lagged)
    await vi.waitFor(async () => expect((await students()).statusCode).toBe(200), { timeout: 5_000, interval: 100 });
    // Lag the loop until the sampler (every 250 ms, averaging) has seen it, then ask at once.
    let shed: Awaited<ReturnType<typeof students>> | undefined;
    let health = 0;
    for (let attempt = 0; attempt < 20 && shed?.statusCode !== 503; attempt++) {
      blockEventLoop(400);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (!http.isUnderPressure()) continue;
      shed = await students();
      health = (await t.app.http.inject('/health/live')).statusCode;
    }
    expect(shed?.statusCode).toBe(503);
    expect(shed?.json()).toMatchObject({ code: 'ERR_OVERLOADED' });
    expect(shed?.headers['retry-after']).toBe('2');
    expect(health).toBe(200);
    await vi.waitFor(async () => expect((await students()).statusCode).toBe(200), { timeout: 5_000, interval: 100 });
  });
});
