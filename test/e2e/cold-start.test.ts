// A power cut: the machine comes back and robusto starts before PostgreSQL does. The real binary
// is started with the database behind a cut proxy, on the data directory of an earlier run, and
// ten clients holding a token from that run register students for ten seconds: every answer is
// 202 (reads 503 with Retry-After, sign-in 503, receipts answer). Once the database is back the
// migrations run, then replay applies every acknowledged registration exactly once, in order.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../support/fault-proxy.js';
import { loginAsInitialAdmin, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase } from '../support/test-database.js';

const CLIENTS = 10;
const LOAD_MS = 10_000;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function stop(robusto: RobustoProcess): Promise<void> {
  robusto.child.kill('SIGTERM');
  await Promise.race([robusto.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  await robusto.destroy();
}

/** Each client registers students one after another, each with its own Idempotency-Key, until `until`. */
async function register(robusto: RobustoProcess, token: string, until: number): Promise<{ statuses: number[]; sent: string[][]; receipts: string[] }> {
  const statuses: number[] = [];
  const receipts: string[] = [];
  const sent: string[][] = Array.from({ length: CLIENTS }, () => []);
  await Promise.all(
    sent.map(async (names, client) => {
      for (let i = 0; Date.now() < until; i++) {
        const name = `Cold ${client} ${String(i).padStart(5, '0')}`;
        const response = await fetch(robusto.url('/api/students'), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `cold-${client}-${i}` },
          body: JSON.stringify({ name, birthDate: '2001-01-01', plan: 'Tarde' }),
        });
        const body = (await response.json()) as { receipt?: string };
        statuses.push(response.status);
        if (response.status === 202 && body.receipt) {
          names.push(name);
          receipts.push(body.receipt);
        }
      }
    }),
  );
  return { statuses, sent, receipts };
}

describe('cold start while the database is down', () => {
  it.each([
    ['robusto serve', ['serve'], {}],
    ['robusto start with 2 workers', ['start'], { WORKERS: '2' }],
  ])(
    '%s: every registration 202 from the first second; once the database is back, migrated and each applied once, in order',
    async (_name, args, extraEnv) => {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      const target = new URL(database.url);
      const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
      cleanups.push(() => proxy.close());
      const env = { DATABASE_URL: proxy.url(database.url), DB_CONNECT_TIMEOUT_MS: '1000', RATE_LIMITS: 'off', SHUTDOWN_TIMEOUT_MS: '5000', ...extraEnv };

      // An earlier run: migrated, the owner signed in (the client keeps the token).
      const earlier = await spawnRobusto({ args: ['serve'], env });
      cleanups.push(() => earlier.destroy());
      await earlier.waitForReady(30_000);
      const token = await loginAsInitialAdmin(earlier);
      await stop(earlier);

      // The power comes back; PostgreSQL does not, yet.
      proxy.cut();
      const robusto = await spawnRobusto({ args, env, dataDir: earlier.dataDir, port: earlier.port });
      cleanups.push(() => stop(robusto));
      await robusto.waitForReady(30_000);
      const { statuses, sent, receipts } = await register(robusto, token, Date.now() + LOAD_MS);
      expect(statuses.length).toBeGreaterThan(CLIENTS * 10);
      expect(statuses.filter((s) => s !== 202)).toEqual([]);

      const read = await fetch(robusto.url('/api/students?limit=5'), { headers: { authorization: `Bearer ${token}` } });
      expect(read.status).toBe(503);
      expect(read.headers.get('retry-after')).not.toBeNull();
      expect(await read.json()).toMatchObject({ code: 'ERR_DATABASE_UNAVAILABLE' });
      const signIn = await fetch(robusto.url('/api/auth/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'default', email: 'admin@localhost', password: 'whatever-it-is' }),
      });
      expect(signIn.status).toBe(503);
      expect(signIn.headers.get('retry-after')).not.toBeNull();
      expect(await signIn.json()).toMatchObject({ code: 'ERR_DATABASE_UNAVAILABLE', detail: expect.stringContaining('Tokens issued before keep working') });
      const receipt = await fetch(robusto.url(`/api/receipts/${receipts[0]}`), { headers: { authorization: `Bearer ${token}` } });
      expect(receipt.status).toBe(200);
      expect(await receipt.json()).toMatchObject({ status: 'queued' });

      proxy.pass();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      cleanups.push(() => client.end());
      const acknowledged = sent.flat();
      const deadline = Date.now() + 60_000;
      let rows: Array<{ name: string }> = [];
      while (Date.now() < deadline) {
        rows = (await client.query<{ name: string }>(`select name from students where name like 'Cold %' order by id`)).rows;
        if (rows.length >= acknowledged.length) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // Each exactly once ...
      expect(rows.map((r) => r.name).sort()).toEqual([...acknowledged].sort());
      // ... and in the order each client was answered.
      for (const [index, names] of sent.entries()) expect(rows.map((r) => r.name).filter((n) => n.startsWith(`Cold ${index} `))).toEqual(names);
      const last = await fetch(robusto.url(`/api/receipts/${receipts[receipts.length - 1]}`), { headers: { authorization: `Bearer ${token}` } });
      expect(await last.json()).toMatchObject({ status: 'applied', result: { status: 201 } });
      const read2 = await fetch(robusto.url('/api/students?limit=5'), { headers: { authorization: `Bearer ${token}` } });
      expect(read2.status).toBe(200);
    },
    150_000,
  );
});
