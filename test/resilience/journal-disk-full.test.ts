// The journal on a disk that fills up (a 3 MB tmpfs mounted for the test: root only, as in CI):
// with PostgreSQL cut, writes are 202 until the disk is full, then 503 (never a false 202); with
// PostgreSQL back and the disk still full, no answer says the database is not answering, and
// readiness says what is wrong; once space is freed, the journal mends by itself within seconds,
// drains in order, each acknowledged write once, and the next outage is 202 again.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Journal } from '../../src/resilience/journal/journal.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';
import { CAN_MOUNT, mountSmallDisk, unmountSmallDisk } from '../support/small-disk.js';
import { spawnRobusto } from '../support/spawn-robusto.js';

describe.skipIf(!CAN_MOUNT)('the journal on a disk that fills up', () => {
  let mount: string;
  let dataDir: string;
  let ballast: string;
  let env: AppBehindProxy | undefined;
  let tenant: TestTenant;
  /** The names of the writes answered 202, in the order they were acknowledged. */
  const acknowledged: string[] = [];
  /** The names of the writes answered 201. */
  const direct: string[] = [];

  beforeAll(async () => {
    mount = mountSmallDisk(3);
    dataDir = path.join(mount, 'data');
    mkdirSync(dataDir);
    // Space the test gives back later: what a person freeing the disk does.
    ballast = path.join(mount, 'ballast');
    writeFileSync(ballast, Buffer.alloc(1536 * 1024));
    env = await buildAppBehindProxy({ env: { DATA_DIR: dataDir } });
    tenant = await createTenantWithUsers(env.t, 'diskfull');
    env.t.app.replayer.start();
  });
  afterAll(async () => {
    await env?.close();
    if (mount) unmountSmallDisk(mount);
  });

  const register = (name: string) =>
    call(env!.t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '1980-08-08', plan: 'Noite' } });
  const ready = () => env!.t.app.http.inject('/health/ready');
  const rowsNamed = async (prefix: string) =>
    (
      await env!.t.app.db.kysely
        .selectFrom('students')
        .select(['name', 'id'])
        .where('tenant_id', '=', tenant.id)
        .where('name', 'like', `${prefix}%`)
        .orderBy('id')
        .execute()
    ).map((r) => r.name);
  const refusedForTheDisk = (r: LightMyRequestResponse) => {
    expect(r.statusCode, r.body).toBe(503);
    expect(r.json()).toMatchObject({
      code: 'ERR_JOURNAL_UNAVAILABLE',
      reason: 'disk-full',
      detail: expect.stringMatching(/the disk holding DATA_DIR \(.*\) is full; free space on it/),
    });
    expect(r.headers['retry-after']).toBeDefined();
  };

  it('with the database cut: 202 until the disk is full, then 503 naming the full disk, never a 202 after', async () => {
    expect((await register('Disk Warm')).statusCode).toBe(201);
    env!.proxy.cut();
    let first503: LightMyRequestResponse | undefined;
    for (let i = 0; i < 2000 && !first503; i++) {
      const name = `Disk Queued ${String(i).padStart(4, '0')}`;
      const r = await register(name);
      if (r.statusCode === 202) acknowledged.push(name);
      else first503 = r;
    }
    expect(acknowledged.length).toBeGreaterThan(10);
    refusedForTheDisk(first503!);
    expect(first503!.json().detail).toMatch(/^The database is not answering, and the local journal cannot take the write/);
    for (let i = 0; i < 5; i++) refusedForTheDisk(await register(`Disk Refused ${i}`));
    const readiness = await ready();
    expect(readiness.statusCode).toBe(503);
    expect(readiness.json().output).toMatch(/journal not writable: the disk holding DATA_DIR .* is full/);
    console.info(`disk full after ${acknowledged.length} writes accepted (202)`);
  }, 60_000);

  it('with the database back and the disk still full: 503 saying the disk is full (never "the database is not answering"), readiness says why, nothing lost', async () => {
    env!.proxy.pass();
    await vi.waitFor(() => expect(env!.t.app.circuit.closed).toBe(true), { timeout: 10_000, interval: 100 });
    // Longer than the journal's test-write interval and the replayer's first backoffs.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    for (let i = 0; i < 5; i++) {
      const name = `Disk Back ${i}`;
      const r = await register(name);
      if (r.statusCode === 201) direct.push(name);
      else {
        refusedForTheDisk(r);
        expect(r.json().detail).not.toMatch(/database is not answering/);
        expect(r.json().detail).toMatch(/still wait in the local journal/);
      }
    }
    const readiness = await ready();
    expect(readiness.statusCode).toBe(503);
    expect(readiness.json().output).toMatch(/the disk holding DATA_DIR .* is full/);
    const health = await env!.t.app.http.inject('/health');
    expect(health.statusCode).toBe(503);
    expect(health.json().checks['journal:depth'][0]).toMatchObject({ status: 'fail', output: expect.stringMatching(/is full/) });
    // What `robusto journal status` does: open the file apart and try a real write.
    const look = new Journal(dataDir, env!.t.config.journal);
    try {
      expect(look.probe()).toMatchObject({ reason: 'disk-full' });
    } finally {
      look.close();
    }
    const cli = await spawnRobusto({ args: ['journal', 'status', '--json'], dataDir, env: { DATABASE_URL: env!.database.url } });
    try {
      expect(await cli.exited, cli.output()).toBe(0);
      const output = cli.output();
      expect(JSON.parse(output.slice(output.indexOf('{\n')))).toMatchObject({
        pending: acknowledged.length,
        writable: false,
        notWritable: { reason: 'disk-full', detail: expect.stringMatching(/is full; free space on it/) },
      });
    } finally {
      await cli.destroy();
    }
    expect(env!.t.app.journal.stats().pending).toBe(acknowledged.length);
  }, 30_000);

  it('space freed: ready again within seconds, the journal drains in order (each 202 once), and the next outage is 202 again', async () => {
    rmSync(ballast);
    const freedAt = performance.now();
    await vi.waitFor(async () => expect((await ready()).statusCode).toBe(200), { timeout: 10_000, interval: 100 });
    const readyAfter = (performance.now() - freedAt) / 1000;
    await vi.waitFor(() => expect(env!.t.app.journal.stats().pending).toBe(0), { timeout: 30_000, interval: 100 });
    const drainedAfter = (performance.now() - freedAt) / 1000;
    console.info(`space freed: ready after ${readyAfter.toFixed(1)} s, journal drained after ${drainedAfter.toFixed(1)} s`);
    expect(readyAfter).toBeLessThan(5);
    // Applied in the order acknowledged (ids are UUIDv7: they sort by creation), each exactly once.
    expect(await rowsNamed('Disk Queued ')).toEqual(acknowledged);
    expect(await rowsNamed('Disk Refused ')).toEqual([]);
    expect((await rowsNamed('Disk Back ')).sort()).toEqual(direct.sort());
    expect((await env!.t.app.http.inject('/health')).statusCode).toBe(200);

    env!.proxy.cut();
    const late = await register('Disk Second Outage');
    expect(late.statusCode, late.body).toBe(202);
    env!.proxy.pass();
    await vi.waitFor(() => expect(env!.t.app.journal.stats().pending).toBe(0), { timeout: 30_000, interval: 100 });
    expect(await rowsNamed('Disk Second Outage')).toEqual(['Disk Second Outage']);
  }, 60_000);
});
