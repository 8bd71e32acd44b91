// A PostgreSQL failover under write load: a private primary with a streaming standby, robusto's
// DATABASE_URL listing both with target_session_attrs=read-write. The primary is stopped and the
// standby promoted while clients keep registering students (each with its Idempotency-Key, sent
// again with the same key after a 5xx). Writes in the gap are journaled (202), robusto finds the
// new primary by itself, the journal drains, and every acknowledged write is stored exactly once,
// with one audit row. And a URL that reaches a standby only: a write is journaled (202, its
// 25006 is transient), not answered 500. PostgreSQL only: failover is PostgreSQL's.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres.js';

const CLIENTS = 6;
/** A client's pause between two writes: a busy shop's pace, not a flood the journal could never catch up with. */
const PAUSE_MS = 20;
/** When the primary is stopped, after the load started. */
const STOP_AT_MS = 2_500;
/** How long the clients go on writing once the standby is promoted. */
const AFTER_PROMOTION_MS = 5_000;
/** The load stops by this time whatever happens. */
const MAX_LOAD_MS = 45_000;
/** How long no server is primary: between the old one's stop and the standby's promotion. */
const NO_PRIMARY_MS = 2_000;
/** Most tries of one write (the first and the retries after a 5xx or a thrown request). */
const MAX_TRIES = 5;
/** The same secret for both apps, so the tenant's tokens are good on each. */
const SECRET_KEY = 'failover-test-secret-key-0123456789abcdef';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` on a connection of its own to `url`. */
async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL failover: the standby promoted under write load', () => {
  let primary: PrivatePostgres | undefined;
  let standby: PrivatePostgres | undefined;
  let t: TestApp | undefined;
  let tenant: TestTenant;

  beforeAll(async () => {
    primary = await startPrivatePostgres();
    standby = await startPrivatePostgres({ standbyOf: primary });
    const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/postgres?target_session_attrs=read-write`;
    t = await buildTestApp({ engine: 'postgres', databaseUrl: url, env: { DB_CONNECT_TIMEOUT_MS: '1000', SECRET_KEY } });
    tenant = await createTenantWithUsers(t, 'failover');
    // the standby has everything the primary committed so far (the tenant, its users)
    const written = await onServer(primary.url, async (c) => (await c.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]?.lsn);
    await vi.waitFor(
      async () => {
        const caughtUp = await onServer(
          (standby as PrivatePostgres).url,
          async (c) => (await c.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [written])).rows[0]?.ok,
        );
        expect(caughtUp).toBe(true);
      },
      { timeout: 15_000, interval: 100 },
    );
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await standby?.destroy();
    await primary?.destroy();
  }, 60_000);

  it('a URL that reaches a standby only: a write is journaled (202), not answered 500', async () => {
    const onStandby = await buildTestApp({
      engine: 'postgres',
      databaseUrl: (standby as PrivatePostgres).url,
      env: { DB_CONNECT_TIMEOUT_MS: '1000', SECRET_KEY },
    });
    try {
      const read = await call(onStandby, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'staff' });
      expect(read.statusCode).toBe(200);
      const write = await call(onStandby, tenant, {
        method: 'POST',
        url: '/api/students',
        as: 'staff',
        body: { name: 'Written To A Standby', birthDate: '2001-01-01', plan: 'Noite' },
      });
      expect(write.statusCode, write.body).toBe(202);
      expect(write.json()).toMatchObject({ receipt: expect.any(String), status: 'queued' });
      expect(onStandby.app.journal.stats().pending).toBe(1);
      const journaled = onStandby.logs.find((line) => line.msg === 'database unavailable; write journaled');
      expect(journaled?.err).toMatchObject({ code: '25006' });
    } finally {
      await onStandby.close();
    }
  }, 30_000);

  it('writes through the failover: those in the gap journaled, the new primary found, each acknowledged write stored once', async () => {
    const app = t as TestApp;
    app.app.replayer.start();
    const started = performance.now();
    const acknowledged = new Map<string, { status: number; at: number }>();
    const unacknowledged: string[] = [];
    let serverErrors = 0;
    let longestGapMs = 0;
    let longestWaitMs = 0;
    let n = 0;
    let loadEndsAt = started + MAX_LOAD_MS;

    /** One client: registers students one after another, each with its key, sent again after a 5xx. */
    const client = async () => {
      let lastAckAt = performance.now();
      while (performance.now() < loadEndsAt) {
        const name = `Failover Student ${n++}`;
        const key = randomUUID();
        const sentAt = performance.now();
        let final = 0;
        for (let attempt = 0; attempt < MAX_TRIES && !(final === 201 || final === 202); attempt++) {
          if (attempt > 0) await sleep(200);
          const response = await call(app, tenant, {
            method: 'POST',
            url: '/api/students',
            as: 'staff',
            body: { name, birthDate: '1990-09-09', plan: 'Manhã' },
            headers: { 'idempotency-key': key },
          }).catch(() => undefined);
          final = response?.statusCode ?? 0;
          if (final === 0 || final >= 500) serverErrors++;
          else if (final !== 201 && final !== 202) break;
        }
        if (final === 201 || final === 202) {
          const at = performance.now();
          longestGapMs = Math.max(longestGapMs, at - lastAckAt);
          longestWaitMs = Math.max(longestWaitMs, at - sentAt);
          lastAckAt = at;
          acknowledged.set(name, { status: final, at: at - started });
        } else unacknowledged.push(`${name}: ${final}`);
        await sleep(PAUSE_MS);
      }
    };

    const load = Promise.all(Array.from({ length: CLIENTS }, client));
    await sleep(STOP_AT_MS);
    const stopAt = performance.now() - started;
    await (primary as PrivatePostgres).stop();
    const stoppedAt = performance.now() - started;
    await sleep(NO_PRIMARY_MS);
    const promotingAt = performance.now() - started;
    await (standby as PrivatePostgres).promote();
    const promotedAt = performance.now() - started;
    loadEndsAt = Math.min(loadEndsAt, performance.now() + AFTER_PROMOTION_MS);
    await load;

    expect(unacknowledged).toEqual([]);
    // acknowledged while no server was primary: the old one stopped, the standby not yet promoted
    const inGap = [...acknowledged.values()].filter((a) => a.at > stoppedAt && a.at < promotingAt);
    expect(inGap.length, 'writes acknowledged while no server was primary').toBeGreaterThan(0);
    expect(inGap.every((a) => a.status === 202)).toBe(true);
    // robusto found the promoted standby itself, and wrote to it directly after the failover
    const switched = app.logs.find((line) => line.msg === 'database connections go to another host');
    expect(switched).toMatchObject({ host: `127.0.0.1:${(standby as PrivatePostgres).port}`, previous: `127.0.0.1:${(primary as PrivatePostgres).port}` });
    expect([...acknowledged.values()].some((a) => a.at > promotedAt && a.status === 201)).toBe(true);

    const drainStarted = performance.now();
    await vi.waitFor(() => expect(app.app.circuit.closed && !app.app.journal.hasPending()).toBe(true), { timeout: 30_000, interval: 100 });
    const drainMs = performance.now() - drainStarted;
    expect(app.app.journal.stats()).toMatchObject({ pending: 0, dead: 0 });

    const students = await app.app.db.kysely
      .selectFrom('students')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenant.id)
      .where('name', 'like', 'Failover Student %')
      .execute();
    const copies = new Map<string, number>();
    for (const s of students) copies.set(s.name, (copies.get(s.name) ?? 0) + 1);
    const lost = [...acknowledged.keys()].filter((name) => !copies.has(name));
    const duplicated = [...copies].filter(([, count]) => count > 1).map(([name]) => name);
    const audits = await app.app.db.kysely
      .selectFrom('audit_log')
      .select('entity_id')
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'students.register')
      .execute();
    const ids = new Set(students.map((s) => s.id));
    const auditsOfThese = audits.filter((a) => ids.has(a.entity_id as string));
    const statuses = [...acknowledged.values()];
    console.log(
      `failover: acknowledged=${acknowledged.size} (201=${statuses.filter((a) => a.status === 201).length}, 202=${statuses.filter((a) => a.status === 202).length}) ` +
        `stored=${students.length} lost=${lost.length} duplicated=${duplicated.length} audit rows=${auditsOfThese.length} ` +
        `5xx or failed requests retried=${serverErrors} longest gap between one client's acknowledgments=${Math.round(longestGapMs)} ms ` +
        `(longest wait for one=${Math.round(longestWaitMs)} ms) ` +
        `primary stopping at ${Math.round(stopAt)} ms, stopped at ${Math.round(stoppedAt)} ms, standby promoted at ${Math.round(promotedAt)} ms, journal drained ${Math.round(drainMs)} ms after the load`,
    );
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    // nothing stored that no client was told about, and one audit row each
    expect(students.length).toBe(acknowledged.size);
    expect(auditsOfThese.length).toBe(students.length);
  }, 80_000);
});
