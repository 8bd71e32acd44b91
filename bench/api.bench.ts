// The API benchmark: authenticated POST /api/students and GET /api/students?limit=20, on
// PostgreSQL and on SQLite, each next to a bare Fastify server that runs the same SQL on the same
// database, in the same run. Each server runs in its own process, as in production; autocannon
// runs in this one. Prints req/s, p50, p99, each server's CPU time per request, and the ratio
// robusto ÷ bare.
//
// Both servers are first warmed under the same load for BENCH_WARMUP seconds, in 5 s slices taken
// in turns (printed): robusto's CPU per request falls by about half over its first 20 s of load
// (V8 optimising a far longer code path), the bare server's settles after its first slice. A
// shorter warm-up measures robusto's start-up, not the server that runs for days.
//
//   npm run bench:api   (BENCH_WARMUP=20 BENCH_DURATION=5 BENCH_ROUNDS=5 BENCH_CONNECTIONS=50 BENCH_ENGINES=postgres,sqlite)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { BENCH_POOL_MAX } from './support/bare-server.js';
import { createBenchDatabase } from './support/bench-database.js';
import { markdownTable, runLoad, type LoadResult } from './support/load.js';
import { studentBody } from './support/robusto-server.js';
import { forkServer, type ServerProcess } from './support/server-process.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const WARMUP_SLICE = 5;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ENGINES = (process.env.BENCH_ENGINES ?? 'postgres,sqlite').split(',') as Array<'postgres' | 'sqlite'>;

async function analyze(engine: 'postgres' | 'sqlite', url: string | undefined, dataDir: string): Promise<void> {
  if (engine === 'postgres') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('ANALYZE students; ANALYZE audit_log');
    await client.end();
  } else {
    const db = new SqliteDatabase(path.join(dataDir, 'robusto.db'));
    db.exec('ANALYZE');
    db.close();
  }
}

/** One load run against one server, with the CPU time the server's process used for it. */
interface Measured extends LoadResult {
  /** Microseconds of the server process's CPU time (all threads) per answered request. */
  cpuMicrosPerRequest: number;
}

async function measure(server: ServerProcess, run: () => Promise<LoadResult>): Promise<Measured> {
  const before = await server.cpuMicros();
  const result = await run();
  const used = (await server.cpuMicros()) - before;
  return { ...result, cpuMicrosPerRequest: used / Math.max(1, result.requests) };
}

/** The run with the median throughput (its latencies with it), the median CPU per request, failures summed over all runs. */
function median(runs: Measured[]): Measured {
  const middleOf = <T>(sorted: T[]) => sorted[Math.floor(sorted.length / 2)] as T;
  const middle = middleOf([...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond));
  return {
    ...middle,
    cpuMicrosPerRequest: middleOf(runs.map((r) => r.cpuMicrosPerRequest).sort((a, b) => a - b)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  };
}

/** Each run's req/s and CPU per request, for the progress lines on stderr. */
function figures(runs: Measured[]): string {
  return runs.map((x) => `${x.requestsPerSecond.toFixed(0)} (${x.cpuMicrosPerRequest.toFixed(0)} µs)`).join(' / ');
}

interface Row {
  engine: string;
  route: string;
  bare: Measured;
  robusto: Measured;
}

async function benchEngine(engine: 'postgres' | 'sqlite'): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-bench-'));
  const database = engine === 'postgres' ? await createBenchDatabase() : undefined;
  const servers: ServerProcess[] = [];
  const rows: Row[] = [];
  try {
    const robusto = await forkServer({
      kind: 'robusto',
      dataDir,
      ...(database ? { databaseUrl: database.url } : {}),
      env: { DB_POOL_MAX: String(BENCH_POOL_MAX) },
    });
    servers.push(robusto);
    const { token, tenantId, userId } = robusto.ready;
    if (!token || !tenantId || !userId) throw new Error('robusto started without its bench user');
    const bare = await forkServer({
      kind: 'bare',
      target: database ? { engine: 'postgres', url: database.url } : { engine: 'sqlite', file: path.join(dataDir, 'robusto.db') },
      identity: { tenantId, userId },
    });
    servers.push(bare);
    const auth = { authorization: `Bearer ${token}` };
    const routes = [
      { route: 'POST /api/students', method: 'POST' as const, path: '/api/students', body: studentBody },
      { route: 'GET /api/students?limit=20', method: 'GET' as const, path: '/api/students?limit=20' },
    ];
    for (const r of routes) {
      const load = (server: ServerProcess, headers: Record<string, string>, seconds: number) =>
        measure(server, () =>
          runLoad({
            url: server.ready.url + r.path,
            method: r.method,
            headers,
            connections: CONNECTIONS,
            durationSeconds: seconds,
            ...(r.body ? { body: r.body } : {}),
          }),
        );
      // Warm both (JIT, pool, page cache) in turns, then alternate who goes first in each round,
      // so drift (a growing table, autovacuum, other load on the machine) falls on both alike.
      const bareWarmUp: Measured[] = [];
      const robustoWarmUp: Measured[] = [];
      for (let elapsed = 0; elapsed < WARMUP; elapsed += WARMUP_SLICE) {
        const seconds = Math.min(WARMUP_SLICE, WARMUP - elapsed);
        bareWarmUp.push(await load(bare, {}, seconds));
        robustoWarmUp.push(await load(robusto, auth, seconds));
      }
      process.stderr.write(`${engine} ${r.route} warm-up: bare ${figures(bareWarmUp)}, robusto ${figures(robustoWarmUp)} req/s (CPU per request)\n`);
      const bareRuns: Measured[] = [];
      const robustoRuns: Measured[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          bareRuns.push(await load(bare, {}, DURATION));
          robustoRuns.push(await load(robusto, auth, DURATION));
        } else {
          robustoRuns.push(await load(robusto, auth, DURATION));
          bareRuns.push(await load(bare, {}, DURATION));
        }
      }
      rows.push({ engine, route: r.route, bare: median(bareRuns), robusto: median(robustoRuns) });
      process.stderr.write(`${engine} ${r.route}: bare ${figures(bareRuns)}, robusto ${figures(robustoRuns)} req/s (CPU per request)\n`);
      // The write phase added tens of thousands of rows: refresh the planner's statistics, as
      // autovacuum would, or the read phase measures a stale plan instead of the servers.
      if (r.method === 'POST') await analyze(engine, database?.url, dataDir);
    }
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

const rows: Row[] = [];
for (const engine of ENGINES) rows.push(...(await benchEngine(engine)));
const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
process.stdout.write(
  `\nAPI benchmark: ${CONNECTIONS} connections, medians of ${ROUNDS} alternating ${DURATION} s runs per server after ${WARMUP} s of warm-up each, each server in its own process, node ${process.version}, ${os.cpus().length} cores\n\n` +
    markdownTable(
      [
        'engine',
        'route',
        'bare req/s',
        'robusto req/s',
        'bare p50/p99 ms',
        'robusto p50/p99 ms',
        'CPU µs/request (bare/robusto)',
        'non-2xx (bare/robusto)',
        'ratio robusto ÷ bare',
      ],
      rows.map((r) => [
        r.engine,
        r.route,
        fmt(r.bare.requestsPerSecond),
        fmt(r.robusto.requestsPerSecond),
        `${r.bare.p50Ms}/${r.bare.p99Ms}`,
        `${r.robusto.p50Ms}/${r.robusto.p99Ms}`,
        `${r.bare.cpuMicrosPerRequest.toFixed(0)}/${r.robusto.cpuMicrosPerRequest.toFixed(0)}`,
        `${r.bare.non2xx + r.bare.errors}/${r.robusto.non2xx + r.robusto.errors}`,
        (r.robusto.requestsPerSecond / r.bare.requestsPerSecond).toFixed(2),
      ]),
    ) +
    '\n',
);
