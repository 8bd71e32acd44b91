import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/support/build-app.js';
import { ENGINES } from '../../test/support/test-database.js';
import { CLOCK_LEEWAY_MS, DatabaseJobStore, MemoryJobStore, type JobStore } from './job-store.js';

const DAY = 86_400_000;
const limits = { leaseMs: 65_000, maxBackoffMs: 600_000 };
const retryDelay = () => 5_000;

// A daily job at 02:30: the clock was a day ahead for one run, then corrected.
function clockWentBackScenario(store: () => JobStore, name: string) {
  it('a slot, a lease and a backoff written under a clock a day ahead do not silence the job once the clock is corrected', async () => {
    const today = Date.parse('2026-12-02T02:30:00Z');
    await store().register([name]);
    // The clock a day ahead: tomorrow's slot is claimed, and the run fails (a backoff is recorded).
    expect(await store().claim(name, 'a', today + DAY, today + DAY + 60_000, limits)).toEqual({ claimed: true, clockWentBackMs: 0 });
    await store().finish(name, 'a', { ok: false, error: 'boom' }, today + DAY + 61_000, retryDelay);
    // The clock corrected: today's 02:30 is due; the store tells by how much the clock went back.
    const claim = await store().claim(name, 'b', today, today + 60_000, limits);
    expect(claim.claimed).toBe(true);
    expect(claim.clockWentBackMs).toBeGreaterThan(DAY - CLOCK_LEEWAY_MS);
    // It is held while it runs, and runs once.
    expect((await store().claim(name, 'c', today, today + 61_000, limits)).claimed).toBe(false);
    await store().finish(name, 'b', { ok: true }, today + 62_000, retryDelay);
    expect((await store().claim(name, 'c', today, today + 63_000, limits)).claimed).toBe(false);
    // A lease taken under the clock ahead no longer holds off the next day.
    expect((await store().claim(name, 'd', today + DAY, today + DAY + 1_000, limits)).claimed).toBe(true);
  });

  it('a clock a few seconds apart between servers changes nothing: a slot claimed just ahead is not run twice', async () => {
    const slot = Date.parse('2026-12-03T02:30:00Z');
    await store().register([`${name}-skew`]);
    expect((await store().claim(`${name}-skew`, 'a', slot, slot + 10_000, limits)).claimed).toBe(true);
    await store().finish(`${name}-skew`, 'a', { ok: true }, slot + 11_000, retryDelay);
    // another server whose clock is 30 s behind tries the same slot
    expect(await store().claim(`${name}-skew`, 'b', slot, slot - 20_000, limits)).toEqual({ claimed: false, clockWentBackMs: 0 });
  });
}

describe('MemoryJobStore and a clock that went back', () => {
  const memory = new MemoryJobStore();
  clockWentBackScenario(() => memory, 'memory.daily');
});

describe.each(ENGINES)('DatabaseJobStore and a clock that went back on %s', (engine) => {
  let t: TestApp;
  let store: DatabaseJobStore;
  beforeAll(async () => {
    t = await buildTestApp({ engine });
    store = new DatabaseJobStore(t.app.db);
  });
  afterAll(() => t.close());
  clockWentBackScenario(() => store, 'test.daily');
});
