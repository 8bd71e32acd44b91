// A worker on the embedded SQLite engine stays up while its prepared statements are destroyed by
// background garbage collections. A native finalizer that runs outside any JavaScript call and
// touches Node's environment aborts the whole process, with no JavaScript error to catch: the
// supervisor could only restart the worker, over and over. The real binary under `robusto start`,
// light load with idle pauses, about a minute.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAlertReceiver, type AlertReceiver } from '../support/alert-receiver.js';
import { loginAsInitialAdmin, PROJECT_ROOT, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const IDLE_GC = path.join(PROJECT_ROOT, 'test', 'fixtures', 'idle-gc.js');
/** Load for this long, then idle for {@link PAUSE_MS}: the pauses are when idle collections run. */
const BURST_MS = 3_000;
const PAUSE_MS = 2_000;
const ROUNDS = 12;
/** Requests in flight during a burst: light load, as a small business makes. */
const CONCURRENCY = 4;

interface SupervisorStatus {
  workers: Array<{ id: number; pid: number; state: string }>;
  restarts: number;
  crashLoop: boolean;
  lastCrash: unknown;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startWithIdleGc(receiver: AlertReceiver, countDir: string): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({
    args: ['start'],
    nodeArgs: ['--expose-gc', '--import', IDLE_GC],
    env: { WORKERS: '1', RATE_LIMITS: 'off', SHUTDOWN_TIMEOUT_MS: '5000', ALERT_WEBHOOK_URL: receiver.url, IDLE_GC_COUNT_DIR: countDir },
  });
  cleanups.push(async () => {
    robusto.child.kill('SIGTERM');
    await Promise.race([robusto.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    await robusto.destroy();
  });
  await robusto.waitForReady(30_000);
  return robusto;
}

/** Sends writes and reads, {@link CONCURRENCY} at a time, until `until`; returns the statuses. */
async function burst(robusto: RobustoProcess, token: string, until: number, round: number): Promise<number[]> {
  const statuses: number[] = [];
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const client = async (lane: number) => {
    for (let i = 0; Date.now() < until; i++) {
      const response =
        i % 2 === 0
          ? await fetch(robusto.url('/api/students'), {
              method: 'POST',
              headers,
              body: JSON.stringify({ name: `Aluno ${round}-${lane}-${i}`, birthDate: '2001-01-01', plan: 'Tarde' }),
            })
          : await fetch(robusto.url(`/api/students?limit=20&q=Aluno%20${round}`), { headers });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, lane) => client(lane)));
  return statuses;
}

function supervisorStatus(robusto: RobustoProcess): SupervisorStatus {
  return JSON.parse(readFileSync(path.join(robusto.dataDir, 'robusto.status.json'), 'utf8')) as SupervisorStatus;
}

describe('the SQLite driver under background garbage collection', () => {
  it('a worker stays up for a minute of light load while idle collections destroy prepared statements: no restart, no crash-loop alert, every request answered', async () => {
    const receiver = await startAlertReceiver();
    cleanups.push(() => receiver.close());
    const countDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-idle-gc-'));
    cleanups.push(() => rmSync(countDir, { recursive: true, force: true }));
    const robusto = await startWithIdleGc(receiver, countDir);
    const token = await loginAsInitialAdmin(robusto);
    const workerPid = supervisorStatus(robusto).workers.find((w) => w.state === 'ready')?.pid;
    expect(workerPid).toBeGreaterThan(0);

    const statuses: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      statuses.push(...(await burst(robusto, token, Date.now() + BURST_MS, round)));
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }

    const after = supervisorStatus(robusto);
    expect(after).toMatchObject({ restarts: 0, crashLoop: false, lastCrash: null });
    expect(after.workers.find((w) => w.state === 'ready')?.pid).toBe(workerPid);
    expect(robusto.lines().filter((l) => String(l.msg).startsWith('worker died'))).toEqual([]);
    expect(receiver.received).toEqual([]);
    // The load was real and all of it was served.
    expect(statuses.length).toBeGreaterThan(ROUNDS * 50);
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
    // The collections ran, in the worker itself.
    const counts = Object.fromEntries(readdirSync(countDir).map((f) => [Number.parseInt(f, 10), Number(readFileSync(path.join(countDir, f), 'utf8'))]));
    expect(counts[workerPid as number]).toBeGreaterThan(((ROUNDS * (BURST_MS + PAUSE_MS)) / 50) * 0.5);
  }, 150_000);
});
