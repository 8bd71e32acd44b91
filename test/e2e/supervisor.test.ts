// The supervisor of "robusto start", with the real binary: a killed worker is replaced at once,
// rolling reloads under load fail no request, and a worker that keeps crashing is restarted with
// a growing delay and reported as a crash loop, never given up on.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import { afterEach, describe, expect, it } from 'vitest';
import { startAlertReceiver } from '../support/alert-receiver.js';
import { loginAsInitialAdmin, PROJECT_ROOT, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const running: RobustoProcess[] = [];
afterEach(async () => {
  for (const robusto of running.splice(0)) {
    robusto.child.kill('SIGTERM');
    await Promise.race([robusto.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    await robusto.destroy();
  }
});

async function start(env: Record<string, string>): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({ args: ['start'], env: { SHUTDOWN_TIMEOUT_MS: '5000', RATE_LIMITS: 'off', ...env } });
  running.push(robusto);
  return robusto;
}

interface Status {
  workers: Array<{ id: number; pid: number; state: string; startedAt: string }>;
  restarts: number;
  reloads: number;
  state: string;
  crashLoop: boolean;
  lastCrash: { reason: string; pid: number } | null;
}

function status(robusto: RobustoProcess): Status {
  return JSON.parse(readFileSync(path.join(robusto.dataDir, 'robusto.status.json'), 'utf8')) as Status;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('robusto start: the supervisor', () => {
  it('replaces a worker killed with SIGKILL under load within 2 s (its standby takes over), a new standby follows and takes over a second kill -9 as fast; status shows the restarts and why; jobs run once across workers', async () => {
    const robusto = await start({ WORKERS: '2' });
    await robusto.waitForReady(30_000);
    await until(() => status(robusto).workers.filter((w) => w.state === 'ready').length === 2, 30_000, 'two ready workers');
    const token = await loginAsInitialAdmin(robusto);
    // Both workers try the daily job's missed slot at start; one runs it.
    const jobRuns = async (name: string) => {
      const r = await fetch(robusto.url('/api/system/jobs'), { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as { items: Array<{ name: string; runs: number; running: boolean }> }).items.find((j) => j.name === name);
    };
    const clusterJobs = ['stock.expire-lots', 'core.prune-keys'];
    const ranAll = async () => (await Promise.all(clusterJobs.map(jobRuns))).every((j) => (j?.runs ?? 0) > 0 && !j?.running);
    const deadline = Date.now() + 15_000;
    while (!(await ranAll()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const job of clusterJobs) expect(await jobRuns(job)).toMatchObject({ runs: 1, running: false });
    let served = 0;
    let loading = true;
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (loading) {
          const r = await fetch(robusto.url('/api/students?limit=1'), {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(2_000),
          }).catch(() => undefined);
          if (r?.status === 200) served++;
        }
      }),
    );
    await until(() => served > 20, 10_000, 'the load to be served');

    await until(() => status(robusto).workers.some((w) => w.state === 'standby'), 30_000, 'the standby worker');
    const takeOvers = () => robusto.lines().filter((l) => l.msg === 'worker died; the standby worker takes over');
    /** Kills a serving worker; resolves how long until two others serve, and who they are. */
    const killServing = async (round: number) => {
      const before = status(robusto);
      const victim = before.workers.find((w) => w.state === 'ready') as { pid: number };
      const standby = before.workers.find((w) => w.state === 'standby') as { pid: number };
      process.kill(victim.pid, 'SIGKILL');
      const killedAt = Date.now();
      await until(() => takeOvers().length === round, 5_000, 'the supervisor to see the death');
      await until(() => status(robusto).workers.filter((w) => w.state === 'ready' && w.pid !== victim.pid).length === 2, 10_000, 'a replacement');
      const replacedInMs = Date.now() - killedAt;
      const serving = status(robusto)
        .workers.filter((w) => w.state === 'ready')
        .map((w) => w.pid);
      // the standby is the one now serving in the victim's place
      expect(serving).toContain(standby.pid);
      expect(takeOvers()[round - 1]).toMatchObject({ workerPid: victim.pid, reason: 'killed by SIGKILL' });
      const servedBefore = served;
      await until(() => served > servedBefore + 20, 10_000, 'requests served after the replacement');
      return { victim, standby, replacedInMs };
    };
    const known = new Set(status(robusto).workers.map((w) => w.pid));
    const first = await killServing(1);
    expect(first.replacedInMs).toBeLessThan(2_000);
    // a new standby follows: a process that was not there before, standing by
    await until(() => status(robusto).workers.some((w) => w.state === 'standby' && !known.has(w.pid)), 30_000, 'a new standby worker');
    const newStandby = status(robusto).workers.find((w) => w.state === 'standby') as { pid: number };
    expect(
      robusto
        .lines()
        .filter((l) => l.msg === 'standby worker ready')
        .map((l) => l.workerPid),
    ).toEqual([first.standby.pid, newStandby.pid]);
    // and it takes over a second kill -9 at once too
    const second = await killServing(2);
    expect(second.standby.pid).toBe(newStandby.pid);
    expect(second.replacedInMs).toBeLessThan(2_000);
    expect(robusto.lines().filter((l) => l.msg === 'worker died; starting a new one after a delay')).toEqual([]);
    const victim = second.victim;
    loading = false;
    await load;

    const after = status(robusto);
    expect(after.restarts).toBe(2);
    expect(after.lastCrash).toMatchObject({ pid: victim.pid, reason: 'killed by SIGKILL' });
    // /metrics from any worker covers all of them and the supervisor
    const metrics = await (await fetch(robusto.url('/metrics'))).text();
    expect(metrics).toMatch(/^robusto_worker_restarts_total 2$/m);
    expect(metrics).toMatch(/^robusto_workers_ready 2$/m);
    const counted = Number(/^http_request_duration_seconds_count\{route="\/api\/students",method="GET",status_code="200"\} (\d+)$/m.exec(metrics)?.[1]);
    // the killed worker's own counts went with it; the two live ones are summed
    expect(counted).toBeGreaterThan(20);
    const printed = await spawnRobusto({ args: ['status'], dataDir: robusto.dataDir });
    expect(await printed.exited).toBe(0);
    expect(printed.output()).toMatch(/restarts: 2/);
    expect(printed.output()).toContain(`pid ${victim.pid}: killed by SIGKILL`);
  }, 120_000);

  it('three rolling reloads (SIGHUP) under autocannon: no failed request, no connection error', async () => {
    const robusto = await start({ WORKERS: '2' });
    await robusto.waitForReady(30_000);
    await until(() => status(robusto).workers.filter((w) => w.state === 'ready').length === 2, 30_000, 'two ready workers');
    const token = await loginAsInitialAdmin(robusto);
    // Load for as long as the reloads take (a cold worker start takes seconds on a busy machine),
    // bounded by the duration; stopped one second after the third.
    let instance: autocannon.Instance | undefined;
    const load = new Promise<autocannon.Result>((resolve, reject) => {
      instance = autocannon(
        { url: robusto.url('/api/students?limit=5'), connections: 20, duration: 150, headers: { authorization: `Bearer ${token}` } },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
    const supervisorPid = robusto.child.pid as number;
    for (let reload = 1; reload <= 3; reload++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      process.kill(supervisorPid, 'SIGHUP');
      await until(() => robusto.lines().filter((l) => l.msg === 'rolling reload done').length === reload, 45_000, `reload ${reload}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    instance?.stop();
    const result = await load;
    expect(result.requests.total).toBeGreaterThan(1000);
    expect({ non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, resets: result.resets }).toEqual({
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      resets: 0,
    });
    const after = status(robusto);
    expect(after).toMatchObject({ reloads: 3, restarts: 0, state: 'running' });
    expect(after.workers.filter((w) => w.state === 'ready')).toHaveLength(2);
  }, 180_000);

  it('a worker that crashes at start: restarts with a growing delay, a crash loop after 5, and restarts go on', async () => {
    const receiver = await startAlertReceiver();
    const robusto = await start({
      WORKERS: '1',
      ALERT_WEBHOOK_URL: receiver.url,
      ROBUSTO_MODULES: path.join(PROJECT_ROOT, 'test', 'fixtures', 'modules', 'crash_at_start.js'),
    });
    // When each worker was forked (the status file lists it from its fork, with its start time).
    const forkedAt = new Map<number, number>();
    const watch = setInterval(() => {
      try {
        for (const w of status(robusto).workers) if (w.pid && !forkedAt.has(w.pid)) forkedAt.set(w.pid, Date.parse(w.startedAt));
      } catch {
        // not written yet
      }
    }, 20);
    await robusto.waitForLine((l) => String(l.msg).startsWith('worker died') && l.delayMs === 3200, 60_000);
    const deaths = robusto.lines().filter((l) => String(l.msg).startsWith('worker died'));
    expect(deaths.slice(0, 6).map((l) => l.delayMs)).toEqual([100, 200, 400, 800, 1600, 3200]);
    expect(deaths[0]?.reason).toMatch(/crash at start \(test fixture\)/);
    const loops = robusto.lines().filter((l) => String(l.msg).startsWith('crash loop'));
    expect(loops).toHaveLength(1);
    expect(loops[0]).toMatchObject({ level: 60, crashes: 5 });
    // it keeps trying
    await robusto.waitForLine((l) => String(l.msg).startsWith('worker died') && l.delayMs === 6400, 30_000);
    clearInterval(watch);
    // and it really waits them: the next worker is forked no sooner than that delay after the death
    const forks = [...forkedAt.values()].sort((a, b) => a - b);
    for (const death of deaths.slice(0, 6)) {
      const diedAt = Date.parse(death.time as string);
      const next = forks.find((at) => at > diedAt);
      expect(next, `a worker forked after the death at ${death.time as string}`).toBeDefined();
      // (a few ms of slack: the log line's clock reading comes just after the timer's)
      expect((next as number) - diedAt).toBeGreaterThanOrEqual((death.delayMs as number) - 10);
    }
    expect(status(robusto)).toMatchObject({ crashLoop: true, lastCrash: { reason: expect.stringMatching(/crash at start/) } });
    // one alert for the loop, not one per crash
    expect(receiver.received.filter((a) => a.kind === 'crash_loop')).toEqual([
      expect.objectContaining({ status: 'firing', details: expect.objectContaining({ crashes: 5 }) }),
    ]);
    await receiver.close();
  }, 120_000);

  it('a second "robusto start" on the same DATA_DIR names the pid that serves it and exits 1, touching nothing; after a kill -9 of the first, a new start takes over', async () => {
    const first = await start({ WORKERS: '1' });
    await first.waitForReady(30_000);
    await until(() => status(first).workers.some((w) => w.state === 'ready'), 30_000, 'a ready worker');
    const pidFile = path.join(first.dataDir, 'robusto.pid');
    const statusFile = path.join(first.dataDir, 'robusto.status.json');
    const before = { pid: readFileSync(pidFile, 'utf8'), status: readFileSync(statusFile, 'utf8') };
    expect(before.pid.trim()).toBe(String(first.child.pid));

    const second = await spawnRobusto({ args: ['start'], dataDir: first.dataDir, port: first.port, env: { RATE_LIMITS: 'off' } });
    running.push(second);
    const code = await Promise.race([second.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
    expect(code).toBe(1);
    expect(second.output()).toContain(`already runs for ${first.dataDir} (supervisor pid ${first.child.pid})`);
    expect(readFileSync(pidFile, 'utf8')).toBe(before.pid);
    expect(readFileSync(statusFile, 'utf8')).toBe(before.status);
    const shown = await spawnRobusto({ args: ['status', '--json'], dataDir: first.dataDir });
    running.push(shown);
    await shown.exited;
    expect(JSON.parse(shown.output())).toMatchObject({ running: true, pid: first.child.pid });
    expect((await fetch(first.url('/health/ready'))).status).toBe(200);

    // A crash leaves a stale pid file behind: it must not block the next start.
    first.child.kill('SIGKILL');
    await first.exited;
    await until(
      () =>
        !status(first).workers.some((w) => {
          try {
            process.kill(w.pid, 0);
            return true;
          } catch {
            return false;
          }
        }),
      15_000,
      'the old workers to exit',
    );
    const third = await spawnRobusto({
      args: ['start'],
      dataDir: first.dataDir,
      port: first.port,
      env: { SHUTDOWN_TIMEOUT_MS: '5000', RATE_LIMITS: 'off', WORKERS: '1' },
    });
    running.push(third);
    await third.waitForReady(30_000);
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(third.child.pid));
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(() => readFileSync(pidFile, 'utf8')).toThrow();
  }, 120_000);

  it('kill -9 of the supervisor with a request in flight: the worker finishes it (201, stored) before it exits', async () => {
    const robusto = await start({ WORKERS: '1' });
    await robusto.waitForReady(30_000);
    await until(() => status(robusto).workers.some((w) => w.state === 'ready'), 30_000, 'a ready worker');
    const token = await loginAsInitialAdmin(robusto);
    const workerPids = status(robusto).workers.map((w) => w.pid);
    // A slow client: its body arrives in two parts, the supervisor killed in between.
    const body = JSON.stringify({ sku: 'SLOW-1', name: 'Arrived slowly', unit: 'un' });
    const request = http.request(robusto.url('/api/products'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', reject);
    });
    request.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 500));
    robusto.child.kill('SIGKILL');
    await robusto.exited;
    await new Promise((resolve) => setTimeout(resolve, 500));
    request.end(body.slice(10));
    const { status: code, text } = await answer;
    expect(code).toBe(201);
    expect(JSON.parse(text)).toMatchObject({ sku: 'SLOW-1' });
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await until(() => !workerPids.some(alive), 15_000, 'the worker to exit after its drain');
  }, 60_000);
});
