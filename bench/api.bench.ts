// The API benchmark: authenticated POST /api/students and GET /api/students?limit=20, on
// PostgreSQL and on SQLite, each next to two Fastify baselines on the same database, in the same
// run: `plain`, what a developer would write by hand (one INSERT … RETURNING, one SELECT … LIMIT
// 20, no auth, no audit row, no transaction), and `same`, the statements robusto runs without
// its auth and validation. Each server runs in its own process, as in production; autocannon runs
// in this one. Prints req/s, p50, p99, each server's CPU time per request, robusto's ratios and
// whether it meets its targets.
//
// Every server is first warmed under the same load for BENCH_WARMUP seconds, in 5 s slices taken
// in turns (printed): robusto's CPU per request falls by about half over its first 20 s of load
// (V8 optimising a far longer code path), a baseline's settles after its first slice. A shorter
// warm-up measures robusto's start-up, not the server that runs for days.
//
//   npm run bench:api   (BENCH_WARMUP=20 BENCH_DURATION=6 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_ENGINES=postgres,sqlite)
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

const DURATION = Number(process.env.BENCH_DURATION ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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

/** The servers of one engine, in the order they first take their turn. */
const SERVERS = ['plain', 'same', 'robusto'] as const;
type ServerName = (typeof SERVERS)[number];

/**
 * The targets: robusto against the plain server on PostgreSQL (writes 0.6, reads 0.8, p99 at most
 * 1.5 times), against the same-statements server on SQLite (writes 0.9, reads 0.8), where the
 * engine is in the process and one statement more or less is the engine's own cost.
 */
const TARGETS = {
  postgres: { baseline: 'plain', POST: 0.6, GET: 0.8, p99: 1.5 },
  sqlite: { baseline: 'same', POST: 0.9, GET: 0.8, p99: undefined },
} as const;

interface Row {
  engine: 'postgres' | 'sqlite';
  route: string;
  method: 'GET' | 'POST';
  results: Record<ServerName, Measured>;
}

async function benchEngine(engine: 'postgres' | 'sqlite'): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-bench-'));
  const database = engine === 'postgres' ? await createBenchDatabase() : undefined;
  const started: ServerProcess[] = [];
  const rows: Row[] = [];
  try {
    const robusto = await forkServer({
      kind: 'robusto',
      dataDir,
      ...(database ? { databaseUrl: database.url } : {}),
      env: { DB_POOL_MAX: String(BENCH_POOL_MAX) },
    });
    started.push(robusto);
    const { token, tenantId, userId } = robusto.ready;
    if (!token || !tenantId || !userId) throw new Error('robusto started without its bench user');
    const target = database ? ({ engine: 'postgres', url: database.url } as const) : ({ engine: 'sqlite', file: path.join(dataDir, 'robusto.db') } as const);
    const servers = { robusto } as Record<ServerName, ServerProcess>;
    for (const style of ['plain', 'same'] as const) {
      servers[style] = await forkServer({ kind: 'bare', style, target, identity: { tenantId, userId } });
      started.push(servers[style]);
    }
    const headersOf = (name: ServerName): Record<string, string> => (name === 'robusto' ? { authorization: `Bearer ${token}` } : {});
    const routes = [
      { route: 'POST /api/students', method: 'POST' as const, path: '/api/students', body: studentBody },
      { route: 'GET /api/students?limit=20', method: 'GET' as const, path: '/api/students?limit=20' },
    ];
    for (const r of routes) {
      const load = (name: ServerName, seconds: number) =>
        measure(servers[name], () =>
          runLoad({
            url: servers[name].ready.url + r.path,
            method: r.method,
            headers: headersOf(name),
            connections: CONNECTIONS,
            durationSeconds: seconds,
            ...(r.body ? { body: r.body } : {}),
          }),
        );
      // Warm every server (JIT, pool, page cache) in turns, then rotate who goes first in each
      // round, so drift (a growing table, other load on the machine) falls on all alike.
      const warmUp = { plain: [], same: [], robusto: [] } as Record<ServerName, Measured[]>;
      for (let elapsed = 0; elapsed < WARMUP; elapsed += WARMUP_SLICE) {
        for (const name of SERVERS) warmUp[name].push(await load(name, Math.min(WARMUP_SLICE, WARMUP - elapsed)));
      }
      process.stderr.write(`${engine} ${r.route} warm-up: ${SERVERS.map((name) => `${name} ${figures(warmUp[name])}`).join(', ')} req/s (CPU per request)\n`);
      const runs = { plain: [], same: [], robusto: [] } as Record<ServerName, Measured[]>;
      for (let round = 0; round < ROUNDS; round++) {
        for (let turn = 0; turn < SERVERS.length; turn++) {
          const name = SERVERS[(round + turn) % SERVERS.length] as ServerName;
          runs[name].push(await load(name, DURATION));
        }
      }
      rows.push({ engine, route: r.route, method: r.method, results: { plain: median(runs.plain), same: median(runs.same), robusto: median(runs.robusto) } });
      process.stderr.write(`${engine} ${r.route}: ${SERVERS.map((name) => `${name} ${figures(runs[name])}`).join(', ')} req/s (CPU per request)\n`);
      // The write phase added tens of thousands of rows: refresh the planner's statistics, as
      // autovacuum would, or the read phase measures a stale plan instead of the servers.
      if (r.method === 'POST') await analyze(engine, database?.url, dataDir);
    }
  } finally {
    for (const server of started.reverse()) await server.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

/** robusto's ratio against the engine's baseline, with its target and whether it is met. */
function verdict(row: Row): { ratio: number; p99Ratio: number; met: boolean; target: string } {
  const goal = TARGETS[row.engine];
  const base = row.results[goal.baseline];
  const ratio = row.results.robusto.requestsPerSecond / base.requestsPerSecond;
  const p99Ratio = row.results.robusto.p99Ms / Math.max(1, base.p99Ms);
  const met = ratio >= goal[row.method] && (goal.p99 === undefined || p99Ratio <= goal.p99);
  const target = `≥ ${goal[row.method]} of ${goal.baseline}${goal.p99 === undefined ? '' : `, p99 ≤ ${goal.p99}×`}`;
  return { ratio, p99Ratio, met, target };
}

const rows: Row[] = [];
for (const engine of ENGINES) rows.push(...(await benchEngine(engine)));
const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
const each = (row: Row, pick: (m: Measured) => string) => SERVERS.map((name) => pick(row.results[name])).join(' / ');
process.stdout.write(
  `\nAPI benchmark: ${CONNECTIONS} connections, medians of ${ROUNDS} rotating ${DURATION} s runs per server after ${WARMUP} s of warm-up each, each server in its own process, node ${process.version}, ${os.cpus().length} cores\n` +
    'Servers: plain (one INSERT … RETURNING or SELECT, no auth, audit or transaction) / same (the statements robusto runs, no auth) / robusto\n\n' +
    markdownTable(
      [
        'engine',
        'route',
        'req/s plain / same / robusto',
        'p50/p99 ms plain / same / robusto',
        'CPU µs/request plain / same / robusto',
        'non-2xx',
        'robusto ÷ plain',
        'robusto ÷ same',
        'p99 ÷ baseline',
        'target',
        'met',
      ],
      rows.map((r) => {
        const v = verdict(r);
        return [
          r.engine,
          r.route,
          each(r, (m) => fmt(m.requestsPerSecond)),
          each(r, (m) => `${m.p50Ms}/${m.p99Ms}`),
          each(r, (m) => m.cpuMicrosPerRequest.toFixed(0)),
          each(r, (m) => String(m.non2xx + m.errors)),
          (r.results.robusto.requestsPerSecond / r.results.plain.requestsPerSecond).toFixed(2),
          (r.results.robusto.requestsPerSecond / r.results.same.requestsPerSecond).toFixed(2),
          v.p99Ratio.toFixed(2),
          v.target,
          v.met ? '**met**' : 'not met',
        ];
      }),
    ) +
    '\n',
);
