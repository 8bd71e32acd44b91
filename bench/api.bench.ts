// The API benchmark: authenticated POST /api/students and GET /api/students?limit=20, on
// PostgreSQL and on SQLite, each next to a bare Fastify server that runs the same SQL on the same
// database, in the same run. Prints req/s, p50, p99 and the ratio robusto ÷ bare.
//
//   npm run bench:api   (BENCH_DURATION=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 BENCH_ENGINES=postgres,sqlite)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { searchable } from '../src/shared/text.js';
import { newId } from '../src/shared/ids.js';
import { createBenchDatabase } from './support/bench-database.js';
import { markdownTable, runLoad, type LoadResult } from './support/load.js';
import { startBenchRobusto, studentBody } from './support/robusto-server.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ENGINES = (process.env.BENCH_ENGINES ?? 'postgres,sqlite').split(',') as Array<'postgres' | 'sqlite'>;
const POOL_MAX = 20;

const LIST_SQL =
  'select "id", "name", "cpf", "birth_date", "phone", "email", "guardian_name", "plan", "status", "created_at", "name_search" from "students" where "tenant_id" = $1 order by "created_at" desc, "id" desc limit $2';
const INSERT_STUDENT_SQL =
  'insert into "students" ("id", "tenant_id", "name", "name_search", "cpf", "birth_date", "phone", "email", "guardian_name", "plan", "status", "created_at", "updated_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)';
const INSERT_AUDIT_SQL =
  'insert into "audit_log" ("id", "tenant_id", "user_id", "action", "entity", "entity_id", "request_id", "created_at") values ($1, $2, $3, $4, $5, $6, $7, $8)';

interface StudentInput {
  name: string;
  birthDate: string;
  plan: string;
  email?: string;
}

function studentRow(tenantId: string, body: StudentInput): unknown[] {
  const now = new Date().toISOString();
  return [newId(), tenantId, body.name, searchable(body.name), null, body.birthDate, null, body.email ?? null, null, body.plan, 'active', now, now];
}

function auditRow(tenantId: string, userId: string, studentId: unknown, requestId: string): unknown[] {
  return [newId(), tenantId, userId, 'students.register', 'student', studentId, requestId, new Date().toISOString()];
}

/** The bare baseline: Fastify with no logger, no auth, no validation; the same statements. */
function bareServer(engine: 'postgres' | 'sqlite', target: { url?: string; file?: string }, tenantId: string, userId: string): { app: FastifyInstance; close(): Promise<void> } {
  const app = Fastify();
  if (engine === 'postgres') {
    const pool = new pg.Pool({ connectionString: target.url, max: POOL_MAX });
    // An idle connection dropped by the server must not crash the benchmark (an unhandled 'error').
    pool.on('error', () => undefined);
    app.get('/api/students', async () => (await pool.query(LIST_SQL, [tenantId, 21])).rows.slice(0, 20));
    app.post('/api/students', async (request, reply) => {
      const row = studentRow(tenantId, request.body as StudentInput);
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query(INSERT_STUDENT_SQL, row);
        await client.query(INSERT_AUDIT_SQL, auditRow(tenantId, userId, row[0], request.id));
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
      return reply.code(201).send({ id: row[0] });
    });
    return {
      app,
      close: async () => {
        await app.close();
        await pool.end();
      },
    };
  }
  const db = new SqliteDatabase(target.file as string, { timeout: 200 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const toSqlite = (text: string) => text.replace(/\$\d+/g, '?');
  const list = db.prepare(toSqlite(LIST_SQL));
  const insertStudent = db.prepare(toSqlite(INSERT_STUDENT_SQL));
  const insertAudit = db.prepare(toSqlite(INSERT_AUDIT_SQL));
  const register = db.transaction((row: unknown[], audit: unknown[]) => {
    insertStudent.run(...row);
    insertAudit.run(...audit);
  });
  app.get('/api/students', async () => list.all(tenantId, 21).slice(0, 20));
  app.post('/api/students', async (request, reply) => {
    const row = studentRow(tenantId, request.body as StudentInput);
    register(row, auditRow(tenantId, userId, row[0], request.id));
    return reply.code(201).send({ id: row[0] });
  });
  return {
    app,
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

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

/** The run with the median throughput (its latencies with it); failures summed over all runs. */
function median(runs: LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const middle = sorted[Math.floor(sorted.length / 2)] as LoadResult;
  return { ...middle, non2xx: runs.reduce((n, r) => n + r.non2xx, 0), errors: runs.reduce((n, r) => n + r.errors, 0) };
}

interface Row {
  engine: string;
  route: string;
  bare: LoadResult;
  robusto: LoadResult;
}

async function benchEngine(engine: 'postgres' | 'sqlite'): Promise<Row[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-bench-'));
  const database = engine === 'postgres' ? await createBenchDatabase() : undefined;
  const robusto = await startBenchRobusto({ dataDir, ...(database ? { databaseUrl: database.url } : {}), env: { DB_POOL_MAX: String(POOL_MAX) } });
  const bare = bareServer(engine, database ? { url: database.url } : { file: path.join(dataDir, 'robusto.db') }, robusto.tenantId, robusto.userId);
  const bareUrl = await bare.app.listen({ port: 0, host: '127.0.0.1' });
  const rows: Row[] = [];
  try {
    const auth = { authorization: `Bearer ${robusto.token}` };
    const routes = [
      { route: 'POST /api/students', method: 'POST' as const, path: '/api/students', body: studentBody },
      { route: 'GET /api/students?limit=20', method: 'GET' as const, path: '/api/students?limit=20' },
    ];
    for (const r of routes) {
      const load = (base: string, headers: Record<string, string>, seconds: number) =>
        runLoad({ url: base + r.path, method: r.method, headers, connections: CONNECTIONS, durationSeconds: seconds, ...(r.body ? { body: r.body } : {}) });
      // Warm both (JIT, pool, page cache), then alternate who goes first in each round, so
      // drift (a growing table, autovacuum, the other core's load) falls on both alike.
      await load(bareUrl, {}, 2);
      await load(robusto.url, auth, 2);
      const bareRuns: LoadResult[] = [];
      const robustoRuns: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          bareRuns.push(await load(bareUrl, {}, DURATION));
          robustoRuns.push(await load(robusto.url, auth, DURATION));
        } else {
          robustoRuns.push(await load(robusto.url, auth, DURATION));
          bareRuns.push(await load(bareUrl, {}, DURATION));
        }
      }
      rows.push({ engine, route: r.route, bare: median(bareRuns), robusto: median(robustoRuns) });
      process.stderr.write(
        `${engine} ${r.route}: bare ${bareRuns.map((x) => x.requestsPerSecond.toFixed(0)).join('/')} req/s, robusto ${robustoRuns.map((x) => x.requestsPerSecond.toFixed(0)).join('/')} req/s\n`,
      );
      // The write phase added tens of thousands of rows: refresh the planner's statistics, as
      // autovacuum would, or the read phase measures a stale plan instead of the servers.
      if (r.method === 'POST') await analyze(engine, database?.url, dataDir);
    }
  } finally {
    await bare.close();
    await robusto.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

const rows: Row[] = [];
for (const engine of ENGINES) rows.push(...(await benchEngine(engine)));
const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
process.stdout.write(
  `\nAPI benchmark: ${CONNECTIONS} connections, medians of ${ROUNDS} alternating ${DURATION} s runs per server, node ${process.version}, ${os.cpus().length} cores\n\n` +
    markdownTable(
      ['engine', 'route', 'bare req/s', 'robusto req/s', 'bare p50/p99 ms', 'robusto p50/p99 ms', 'non-2xx (bare/robusto)', 'ratio robusto ÷ bare'],
      rows.map((r) => [
        r.engine,
        r.route,
        fmt(r.bare.requestsPerSecond),
        fmt(r.robusto.requestsPerSecond),
        `${r.bare.p50Ms}/${r.bare.p99Ms}`,
        `${r.robusto.p50Ms}/${r.robusto.p99Ms}`,
        `${r.bare.non2xx + r.bare.errors}/${r.robusto.non2xx + r.robusto.errors}`,
        (r.robusto.requestsPerSecond / r.bare.requestsPerSecond).toFixed(2),
      ]),
    ) +
    '\n',
);
