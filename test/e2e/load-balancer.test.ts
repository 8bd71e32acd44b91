// Two real robusto instances (one PostgreSQL database, one SECRET_KEY, one Redis, a DATA_DIR
// each) behind a real HAProxy running deploy/haproxy/haproxy.cfg, its addresses rewritten for
// this machine: a rolling upgrade of both instances fails no request; rate limits are counted
// once across both; an instance killed with SIGKILL under write load loses and duplicates no
// acknowledged write, and its clients move to the survivor within HAProxy's check interval.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, loginAsInitialAdmin, PROJECT_ROOT, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const HAPROXY = '/usr/sbin/haproxy';
const COMMITTED_CONFIG = readFileSync(path.join(PROJECT_ROOT, 'deploy', 'haproxy', 'haproxy.cfg'), 'utf8');
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The one route with a low limit, for the shared-counter scenario; every other route is effectively unlimited. */
const LIMITED_ROUTE = 'GET /api/products';
const LIMIT = 10;

/** `inter` and `fall` of the committed config's `default-server` line, in ms and checks. */
function healthCheckTiming(config: string): { interMs: number; fall: number } {
  const line = /^\s*default-server\s.*$/m.exec(config)?.[0] ?? '';
  const inter = /\binter (\d+)(ms|s)\b/.exec(line);
  const fall = /\bfall (\d+)\b/.exec(line);
  if (!inter || !fall) throw new Error(`deploy/haproxy/haproxy.cfg: no "inter" and "fall" on its default-server line: ${line}`);
  return { interMs: Number(inter[1]) * (inter[2] === 's' ? 1000 : 1), fall: Number(fall[1]) };
}

/**
 * The committed config for this machine: the global section's system paths (syslog, chroot,
 * admin socket, user, daemon) replaced by a log on stdout and an admin socket in `dir`; the
 * frontend bound to 127.0.0.1:`port`; the two servers at 127.0.0.1:`serverPorts`. Everything
 * else (checks, retries, timeouts, headers) is the committed file's.
 */
function configForTest(dir: string, port: number, serverPorts: number[]): string {
  let section = '';
  let servers = 0;
  let binds = 0;
  const lines = COMMITTED_CONFIG.split('\n').flatMap((line) => {
    const header = /^(\w+)\b/.exec(line)?.[1];
    if (header) section = header;
    if (section === 'global' && /^\s+(log|chroot|stats|user|group|daemon)\b/.test(line)) return [];
    if (section === 'global' && header)
      return [line, '    log stdout format raw local0', `    stats socket ${path.join(dir, 'admin.sock')} mode 600 level admin`];
    if (/^\s+bind\s/.test(line)) {
      binds++;
      return [`    bind 127.0.0.1:${port}`];
    }
    const server = /^(\s+server\s+\S+\s+)\S+(.*)$/.exec(line);
    if (server) return [`${server[1]}127.0.0.1:${serverPorts[servers++]}${server[2]}`];
    return [line];
  });
  if (servers !== serverPorts.length || binds !== 1)
    throw new Error(`deploy/haproxy/haproxy.cfg: expected 1 bind and ${serverPorts.length} servers, found ${binds} and ${servers}`);
  return lines.join('\n');
}

/** A command on HAProxy's admin socket; resolves with its answer. */
async function haproxyCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = net.connect(socket);
    let answer = '';
    connection.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    connection.on('error', reject);
    connection.on('end', () => resolve(answer));
    connection.setTimeout(2_000, () => connection.destroy(new Error(`no answer from HAProxy to "${command}"`)));
    connection.end(`${command}\n`);
  });
}

/** Each server of the `robusto` backend and its status as HAProxy sees it (`UP`, `DOWN`, `UP 1/2`…). */
async function serverStatuses(socket: string): Promise<Record<string, string>> {
  const [header = '', ...rows] = (await haproxyCommand(socket, 'show stat')).trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  const at = (name: string) => columns.indexOf(name);
  const statuses: Record<string, string> = {};
  for (const row of rows.map((r) => r.split(','))) {
    if (row[at('pxname')] === 'robusto' && row[at('svname')] !== 'BACKEND') statuses[row[at('svname')] as string] = row[at('status')] as string;
  }
  return statuses;
}

/**
 * How many of HAProxy's request log lines (`option httplog`) since `from` were retried, and how
 * many of those redispatched to the other server (the retries field `%rc`, `+` when redispatched).
 */
function retriesLogged(output: string, from: number): { retried: number; redispatched: number } {
  const counts = { retried: 0, redispatched: 0 };
  for (const match of output.slice(from).matchAll(/ \d+\/\d+\/\d+\/\d+\/(\+?)(\d+) \d+\/\d+ "/g)) {
    if (match[2] !== '0') counts.retried++;
    if (match[1] === '+') counts.redispatched++;
  }
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, pollMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

const { interMs, fall } = healthCheckTiming(COMMITTED_CONFIG);
/** How long HAProxy takes at most to mark a failing server down: `fall` checks `inter` apart. */
const MARK_DOWN_MS = interMs * fall;
/** The instances keep serving with readiness off this long on SIGTERM: a check interval more than HAProxy needs. */
const SHUTDOWN_DELAY_MS = MARK_DOWN_MS + interMs;

// CI installs haproxy (.ci/run); a developer machine without it skips this file, saying so.
// Starting instances takes most of this file's time, and several times as long on a busy
// machine: the time limits leave room for that.
describe.skipIf(!existsSync(HAPROXY) && !process.env.CI)('two instances behind HAProxy (deploy/haproxy/haproxy.cfg)', () => {
  let database: TestDatabase;
  let client: pg.Client;
  let dir: string;
  let socket: string;
  let haproxy: ChildProcess | undefined;
  let haproxyOutput = '';
  let lbPort: number;
  let token: string;
  const instances: RobustoProcess[] = [];
  const ports: number[] = [];
  const names = ['robusto1', 'robusto2'];
  let env: Record<string, string>;

  const lb = (pathname: string) => `http://127.0.0.1:${lbPort}${pathname}`;

  /** Starts (or starts again, on its DATA_DIR) instance `i` and waits for its own readiness. */
  async function startInstance(i: number): Promise<RobustoProcess> {
    const previous = instances[i];
    // One process per instance keeps this test light on a small machine; production runs
    // "robusto start", whose workers stop the same way (test/e2e/shutdown.test.ts).
    const instance = await spawnRobusto({ args: ['serve'], port: ports[i] as number, env, ...(previous ? { dataDir: previous.dataDir } : {}) });
    instances[i] = instance;
    await instance.waitForReady(60_000);
    return instance;
  }

  async function seenAs(i: number, status: 'UP' | 'DOWN', timeoutMs = 15_000): Promise<number> {
    await until(async () => (await serverStatuses(socket))[names[i] as string] === status, timeoutMs, `HAProxy to see ${names[i]} ${status}`, 25);
    return Date.now();
  }

  beforeAll(async () => {
    if (!existsSync(HAPROXY)) throw new Error(`${HAPROXY} is not installed (apt-get install haproxy): the load-balancer topology cannot be tested`);
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-haproxy-'));
    socket = path.join(dir, 'admin.sock');
    lbPort = await freePort();
    ports.push(await freePort(), await freePort());
    env = {
      DATABASE_URL: database.url,
      SECRET_KEY: randomBytes(36).toString('base64url'),
      REDIS_URL,
      TRUST_PROXY: 'loopback',
      RATE_LIMITS: `default=1000000,POST /api/students=1000000,${LIMITED_ROUTE}=${LIMIT}`,
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: '5000',
      BACKUP_SCHEDULE: 'off',
    };
    // The first start migrates and creates the owner; the second finds them.
    await startInstance(0);
    await startInstance(1);
    const config = path.join(dir, 'haproxy.cfg');
    writeFileSync(config, configForTest(dir, lbPort, ports));
    const check = spawnSync(HAPROXY, ['-c', '-f', config], { encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    haproxy = spawn(HAPROXY, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (chunk: Buffer) => (haproxyOutput += chunk.toString()));
    haproxy.stderr?.on('data', (chunk: Buffer) => (haproxyOutput += chunk.toString()));
    await until(() => existsSync(socket), 10_000, 'the HAProxy admin socket');
    await Promise.all([seenAs(0, 'UP'), seenAs(1, 'UP')]);
    // Signed in through instance 1, used through both: one SECRET_KEY.
    token = await loginAsInitialAdmin(instances[0] as RobustoProcess);
  }, 150_000);

  afterAll(async () => {
    haproxy?.kill('SIGKILL');
    await Promise.all(
      instances.map(async (instance) => {
        instance.child.kill('SIGTERM');
        await Promise.race([instance.exited, sleep(15_000)]);
        await instance.destroy();
      }),
    );
    await client?.end();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extra });
  const student = (name: string) => JSON.stringify({ name, birthDate: '2001-01-01', plan: 'Balanceada' });

  /** Rows, audit rows and idempotency keys stored for the students named `prefix…`, and names stored more than once. */
  async function stored(prefix: string): Promise<{ rows: Map<string, number>; audits: number; keys: number }> {
    const rows = await client.query<{ id: string; name: string }>(`select id, name from students where name like $1`, [`${prefix}%`]);
    const counted = new Map<string, number>();
    for (const row of rows.rows) counted.set(row.name, (counted.get(row.name) ?? 0) + 1);
    const audits = await client.query<{ n: string }>(`select count(*) as n from audit_log where action = 'students.register' and entity_id = any($1)`, [
      rows.rows.map((r) => r.id),
    ]);
    const keys = await client.query<{ n: string }>(`select count(*) as n from idempotency_keys where key like $1`, [`${prefix}%`]);
    return { rows: counted, audits: Number(audits.rows[0]?.n), keys: Number(keys.rows[0]?.n) };
  }

  it('a rolling upgrade of both instances (SIGTERM, exit, start, seen up) under steady reads and writes: every request through HAProxy gets a 2xx', async () => {
    const prefix = `lb-roll-${randomUUID().slice(0, 8)}-`;
    const outcomes: Array<{ what: string; status: number | string }> = [];
    const created: string[] = [];
    let loading = true;
    const logFrom = haproxyOutput.length;
    const load = Promise.all(
      Array.from({ length: 4 }, async (_, clientIndex) => {
        for (let n = 0; loading; n++) {
          // reads, writes with an Idempotency-Key, and writes without one (never retried by HAProxy once sent)
          const kind = (n + clientIndex) % 3;
          const name = `${prefix}${randomUUID()}`;
          const request =
            kind === 0
              ? fetch(lb('/api/students?limit=1'), { headers: headers(), signal: AbortSignal.timeout(10_000) })
              : fetch(lb('/api/students'), {
                  method: 'POST',
                  headers: headers(kind === 1 ? { 'idempotency-key': name } : {}),
                  body: student(name),
                  signal: AbortSignal.timeout(10_000),
                });
          const what = ['read', 'keyed write', 'unkeyed write'][kind] as string;
          const status = await request.then(
            async (r) => (await r.arrayBuffer(), r.status),
            (error: Error) => `${error.name}: ${error.message}`,
          );
          outcomes.push({ what, status });
          if (kind !== 0 && status === 201) created.push(name);
          await sleep(20);
        }
      }),
    );
    await until(() => outcomes.length >= 50, 20_000, 'the load to be served');
    const timeline: string[] = [];
    for (const i of [0, 1]) {
      const old = instances[i] as RobustoProcess;
      old.child.kill('SIGTERM');
      const leaving = await old.waitForLine((l) => l.msg === 'leaving: readiness off, still serving until the load balancer stops sending');
      const markedDownAt = await seenAs(i, 'DOWN');
      expect(await old.exited).toBe(0);
      // HAProxy stopped sending before the instance stopped taking connections.
      const leftAt = Date.parse(String(leaving.time));
      const stoppedTakingAt = leftAt + SHUTDOWN_DELAY_MS;
      expect(markedDownAt).toBeLessThan(stoppedTakingAt);
      const startedAt = Date.now();
      await startInstance(i);
      const upAt = await seenAs(i, 'UP');
      timeline.push(`${names[i]} down ${markedDownAt - leftAt} ms after SIGTERM, back up ${upAt - startedAt} ms after its start`);
    }
    const before = outcomes.length;
    await until(() => outcomes.length >= before + 30, 20_000, 'requests served after the upgrade');
    loading = false;
    await load;

    const failed = outcomes.filter((o) => typeof o.status !== 'number' || o.status < 200 || o.status > 299);
    const byKind = outcomes.reduce<Record<string, number>>((counts, o) => ({ ...counts, [o.what]: (counts[o.what] ?? 0) + 1 }), {});
    const { retried, redispatched } = retriesLogged(haproxyOutput, logFrom);
    console.log(
      `load balancer, rolling upgrade: ${outcomes.length} requests ${JSON.stringify(byKind)}, ${failed.length} failed, ${retried} retried by HAProxy (${redispatched} on the other instance); ${timeline.join('; ')}`,
    );
    expect(failed).toEqual([]);
    const { rows, audits } = await stored(prefix);
    expect([...rows.keys()].sort()).toEqual([...created].sort());
    expect([...rows.values()].every((n) => n === 1)).toBe(true);
    expect(audits).toBe(created.length);
  }, 150_000);

  it(`rate limits are shared through Redis: ${LIMIT} per minute on ${LIMITED_ROUTE}, across both instances, is ${LIMIT} in all, not ${2 * LIMIT}`, async () => {
    const statuses: number[] = [];
    for (let n = 0; n < 3 * LIMIT; n++) {
      const response = await fetch(lb('/api/products?limit=1'), { headers: headers() });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(2 * LIMIT).fill(429)]);
    // Both instances answered: each counted its share of the 200s and of the 429s.
    const served = await Promise.all(
      instances.map(async (instance) => {
        const metrics = await (await fetch(instance.url('/metrics'))).text();
        const count = (status: number) =>
          Number(
            new RegExp(`^http_request_duration_seconds_count\\{route="/api/products",method="GET",status_code="${status}"\\} (\\d+)$`, 'm').exec(
              metrics,
            )?.[1] ?? 0,
          );
        return { ok: count(200), limited: count(429) };
      }),
    );
    expect(served.reduce((sum, s) => sum + s.ok, 0)).toBe(LIMIT);
    for (const s of served) expect(s.ok > 0 && s.limited > 0, JSON.stringify(served)).toBe(true);
  }, 30_000);
  it('kill -9 of one instance under write load: every acknowledged write stored exactly once, and the clients move to the survivor within inter × fall', async () => {
    const prefix = `lb-kill-${randomUUID().slice(0, 8)}-`;
    const acks = new Map<string, { status: number; attempts: number; replayed: boolean }>();
    let longestGapMs = 0;
    let loading = true;
    const clientErrors: string[] = [];

    /** One write, retried with the same key on a network error or 502/503/504 until acknowledged (at most 20 s). */
    async function write(key: string): Promise<void> {
      const name = `${prefix}${key}`;
      const giveUpAt = Date.now() + 20_000;
      for (let attempts = 1; ; attempts++) {
        const response = await fetch(lb('/api/students'), {
          method: 'POST',
          headers: headers({ 'idempotency-key': name }),
          body: student(name),
          signal: AbortSignal.timeout(10_000),
        }).catch(() => undefined);
        const body = await response?.text().catch(() => '');
        if (response?.status === 201 || response?.status === 202) {
          acks.set(name, { status: response.status, attempts, replayed: response.headers.get('idempotent-replayed') === 'true' });
          return;
        }
        if (response && ![502, 503, 504].includes(response.status)) throw new Error(`write ${name}: ${response.status} ${body}`);
        if (Date.now() > giveUpAt) throw new Error(`write ${name}: not acknowledged after ${attempts} attempts`);
        await sleep(50);
      }
    }

    const loadStartedAt = Date.now();
    const logFrom = haproxyOutput.length;
    const load = Promise.all(
      Array.from({ length: 8 }, async () => {
        let lastAckAt = Date.now();
        while (loading) {
          try {
            await write(randomUUID());
          } catch (error) {
            clientErrors.push(String(error));
            return;
          }
          longestGapMs = Math.max(longestGapMs, Date.now() - lastAckAt);
          lastAckAt = Date.now();
        }
      }),
    );
    await until(() => acks.size >= 100, 20_000, '100 acknowledged writes before the kill');
    const victim = instances[0] as RobustoProcess;
    const acksAtKill = acks.size;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    const markedDownAt = await seenAs(0, 'DOWN');
    await until(() => acks.size >= acksAtKill + 200, 20_000, '200 acknowledged writes after the kill');
    loading = false;
    await load;
    const loadMs = Date.now() - loadStartedAt;
    expect(clientErrors).toEqual([]);

    // A killed instance's journal keeps the writes it acknowledged with 202 (while its database
    // was down) in its DATA_DIR until robusto starts on it again. The database was up here, so
    // it should hold none; if it did, the instance is started again on its DATA_DIR, as its
    // operator would, and has applied them before the rows are counted.
    const pendingInJournal = async (): Promise<number> => {
      const status = await spawnRobusto({ args: ['journal', 'status', '--json'], env, dataDir: victim.dataDir });
      expect(await status.exited).toBe(0);
      return (JSON.parse(status.output().slice(status.output().indexOf('{\n'))) as { pending: number }).pending;
    };
    const leftInJournal = await pendingInJournal();
    if (leftInJournal > 0) {
      await startInstance(0);
      await until(async () => (await pendingInJournal()) === 0, 30_000, 'the restarted instance to apply its journal', 500);
    }

    const { rows, audits, keys } = await stored(prefix);
    const acknowledged = [...acks.keys()];
    const lost = acknowledged.filter((name) => !rows.has(name));
    const duplicated = [...rows].filter(([, n]) => n > 1).map(([name]) => name);
    const unacknowledged = [...rows.keys()].filter((name) => !acks.has(name));
    const statuses = [...acks.values()].reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }), {});
    const retried = [...acks.values()].filter((a) => a.attempts > 1).length;
    const replayed = [...acks.values()].filter((a) => a.replayed).length;
    const haproxyRetries = retriesLogged(haproxyOutput, logFrom);
    console.log(
      `load balancer, kill -9: ${acknowledged.length} writes acknowledged (${JSON.stringify(statuses)}) in ${loadMs} ms, ${rows.size} stored, ${lost.length} lost, ${duplicated.length} duplicated, ${haproxyRetries.retried} retried by HAProxy (${haproxyRetries.redispatched} on the other instance), ${retried} by their client (${replayed} answered from their Idempotency-Key); longest gap a client saw between acknowledgments ${longestGapMs} ms (bound ${MARK_DOWN_MS + 1_000} ms); HAProxy marked the killed instance down ${markedDownAt - killedAt} ms after the kill; ${leftInJournal} writes left in its journal`,
    );
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(unacknowledged).toEqual([]);
    expect(rows.size).toBe(acknowledged.length);
    expect(audits).toBe(acknowledged.length);
    expect(keys).toBe(acknowledged.length);
    // The database was up: every acknowledgment is a commit, none a journal entry.
    expect(statuses).toEqual({ 201: acknowledged.length });
    expect(longestGapMs).toBeLessThan(MARK_DOWN_MS + 1_000);
  }, 90_000);
});
