// The reload benchmark: `robusto start` (the supervisor, 2 workers, PostgreSQL) under autocannon,
// first without reloads, then through three rolling reloads (SIGHUP), in one run. Prints the
// requests sent, failed (non-2xx and connection errors) and p99 of each, and the time from
// `robusto start` to ready. Target: 0 failed requests during the reloads.
//
//   npm run bench:reload   (BENCH_DURATION=10 BENCH_CONNECTIONS=50)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readStatusFile } from '../src/ops/supervisor-files.js';
import { createBenchDatabase } from './support/bench-database.js';
import { markdownTable, runLoad, type LoadResult } from './support/load.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WORKERS = 2;
const RELOADS = 3;
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const readyWorkers = (dataDir: string) => readStatusFile(dataDir)?.workers.filter((w) => w.state === 'ready').length ?? 0;

async function main(): Promise<void> {
  const database = await createBenchDatabase();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-bench-reload-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const startedAt = performance.now();
  const child = spawn(process.execPath, [BIN, 'start'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: database.url,
      WORKERS: String(WORKERS),
      LOG_LEVEL: 'warn',
      RATE_LIMITS: 'off',
      NODE_ENV: 'production',
      SECRET_KEY: 'c'.repeat(48),
    },
    stdio: 'ignore',
  });
  try {
    await until(async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200, 60_000, 'the first ready worker');
    const firstReadyMs = performance.now() - startedAt;
    await until(() => readyWorkers(dataDir) === WORKERS, 60_000, `${WORKERS} ready workers`);
    const allReadyMs = performance.now() - startedAt;

    const password = /^password: (\S+)$/m.exec(readFileSync(path.join(dataDir, 'initial-admin.txt'), 'utf8'))?.[1];
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'default', email: 'admin@localhost', password }),
    });
    const { token } = (await login.json()) as { token: string };
    const load = { url: `${base}/api/students?limit=5`, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS };

    const steady = await runLoad({ ...load, durationSeconds: DURATION });
    let reloadsDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (reloadsDone = resolve));
    const reloading = runLoad({ ...load, durationSeconds: 600, until: done });
    const reloadTimes: number[] = [];
    for (let reload = 1; reload <= RELOADS; reload++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const at = performance.now();
      child.kill('SIGHUP');
      await until(
        () => (readStatusFile(dataDir)?.reloads ?? 0) >= reload && readStatusFile(dataDir)?.state === 'running' && readyWorkers(dataDir) === WORKERS,
        120_000,
        `reload ${reload}`,
      );
      reloadTimes.push(Math.round(performance.now() - at));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    reloadsDone();
    const during = await reloading;

    const row = (name: string, r: LoadResult): Array<string | number> => [
      name,
      r.sent,
      r.requests,
      Math.round(r.requestsPerSecond),
      `${r.non2xx + r.errors} (${r.non2xx} non-2xx: ${JSON.stringify(r.statusCodes)}; ${r.errors} errors)`,
      r.p99Ms,
    ];
    const failed = during.non2xx + during.errors;
    process.stdout.write(
      `\nReload benchmark (BENCH_DURATION=${DURATION} BENCH_CONNECTIONS=${CONNECTIONS} npm run bench:reload): robusto start, ${WORKERS} workers, PostgreSQL, GET /api/students?limit=5, node ${process.version}, ${os.availableParallelism()} cores\n\n`,
    );
    process.stdout.write(
      `${markdownTable(
        ['load', 'requests sent', 'answered', 'req/s', 'failed (non-2xx + errors)', 'p99 ms'],
        [row(`steady, ${DURATION} s`, steady), row(`${RELOADS} rolling reloads, ${during.durationSeconds} s`, during)],
      )}\n\n`,
    );
    process.stdout.write(
      `${markdownTable(
        ['measure', 'value', 'target'],
        [
          ['robusto start → first worker ready, ms', Math.round(firstReadyMs), ''],
          [`robusto start → ${WORKERS} workers ready, ms`, Math.round(allReadyMs), ''],
          ['each rolling reload, ms', reloadTimes.join(', '), ''],
          ['failed requests during the reloads', failed, `0: ${failed === 0 ? 'met' : '**missed**'}`],
        ],
      )}\n`,
    );
    if (failed !== 0) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(undefined);
      }, 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
