// The outage benchmark: authenticated POST /api/students on PostgreSQL reached through a fault
// proxy, in one run of one app: direct (201, the proxy passing), during an outage (202, the local
// journal's intake after proxy.cut()), then the drain once the proxy passes again (the replayer
// applies the journal). Checks that the database ends with one student per 201 + 202.
//
//   npm run bench:outage   (BENCH_DURATION=5 BENCH_CONNECTIONS=50)
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { RobustoApp } from '../src/app.js';
import type { JournalStats } from '../src/resilience/journal/journal-stats.js';
import { createBenchDatabase } from './support/bench-database.js';
import { markdownTable, runLoad, type LoadResult } from './support/load.js';
import { startProxyThread } from './support/proxy-thread.js';
import { startBenchRobusto, studentBody } from './support/robusto-server.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Longest wait, after the cut, for the first 202. */
const WARMUP_LIMIT_MS = 30_000;
/** Longest wait, once the proxy passes again, for the journal to empty. */
const DRAIN_LIMIT_MS = 5 * 60_000;
const DRAIN_POLL_MS = 50;
const ROUTE = '/api/students';
/** Polls in a row (of DRAIN_POLL_MS) with nothing in flight that count as settled, and the longest wait for it. */
const SETTLE_QUIET_POLLS = 6;
const SETTLE_LIMIT_MS = 15_000;

/** Counts, per status code, the responses the server sends to `method path` (whether or not the client is still there to read them). */
function countResponses(app: RobustoApp, method: string, pathname: string): Map<number, number> {
  const counts = new Map<number, number>();
  app.http.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== method || request.url?.split('?')[0] !== pathname) return;
    const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
    response.writeHead = (statusCode: number, ...rest: unknown[]) => {
      counts.set(statusCode, (counts.get(statusCode) ?? 0) + 1);
      return writeHead(statusCode, ...rest);
    };
  });
  return counts;
}

function add(into: Map<number, number>, from: Record<number, number> | Map<number, number>): void {
  for (const [code, n] of from instanceof Map ? from : Object.entries(from)) into.set(Number(code), (into.get(Number(code)) ?? 0) + n);
}

const codesText = (counts: Record<number, number> | Map<number, number>): string =>
  [...(counts instanceof Map ? counts : Object.entries(counts))].map(([code, n]) => `${code}×${n}`).join(', ') || 'none';

const acknowledged = (counts: Map<number, number>): number => (counts.get(201) ?? 0) + (counts.get(202) ?? 0);

/**
 * Waits until the app has no write in flight: its pool idle and no new answer for a while.
 * autocannon stops by dropping its connections, but the server finishes what it had started; a
 * cut during those writes would turn them into 503s (outcome unknown) that nobody reads.
 * Resolves the wait in ms.
 */
async function settle(app: RobustoApp, counts: Map<number, number>): Promise<number> {
  const started = performance.now();
  const total = () => [...counts.values()].reduce((a, b) => a + b, 0);
  let last = total();
  let quiet = 0;
  while (quiet < SETTLE_QUIET_POLLS && performance.now() - started < SETTLE_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    const pool = app.db.poolStats();
    const now = total();
    quiet = pool.idle === pool.total && pool.waiting === 0 && now === last ? quiet + 1 : 0;
    last = now;
  }
  if (quiet < SETTLE_QUIET_POLLS) throw new Error(`the app still had writes in flight ${SETTLE_LIMIT_MS / 1000} s after the load stopped`);
  return performance.now() - started;
}

async function countStudents(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ n: number }>('select count(*)::int as n from students')).rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-bench-outage-'));
const database = await createBenchDatabase();
const target = new URL(database.url);
const proxy = await startProxyThread({ host: target.hostname, port: Number(target.port || 5432) });
// A short connect timeout, as in the fault tests, so the cut is noticed quickly.
const robusto = await startBenchRobusto({
  dataDir,
  databaseUrl: proxy.url(database.url),
  env: { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', DB_CONNECT_TIMEOUT_MS: '1000' },
});
const { app } = robusto;
app.replayer.start();
const serverCounts = countResponses(app, 'POST', ROUTE);
/** What the client (autocannon and the warm-up probes) received. */
const clientCounts = new Map<number, number>();
const auth = { authorization: `Bearer ${robusto.token}` };
const load = (): Promise<LoadResult> =>
  runLoad({ url: robusto.url + ROUTE, method: 'POST', headers: auth, body: studentBody, connections: CONNECTIONS, durationSeconds: DURATION });
const log = (line: string) => process.stderr.write(`${line}\n`);

let failed = false;
try {
  // 1. Direct: the proxy passes, writes commit in PostgreSQL (201).
  const direct = await load();
  add(clientCounts, direct.statusCodes);
  log(
    `direct: ${codesText(direct.statusCodes)} in ${direct.durationSeconds} s; ${direct.sent - direct.requests} cut off unanswered at the end; settled after ${(await settle(app, serverCounts)).toFixed(0)} ms`,
  );

  // 2. Outage: cut, then single writes until one is journaled (202): the warm-up.
  const cutAt = performance.now();
  await proxy.cut();
  const warmupCounts = new Map<number, number>();
  let firstAcceptedMs: number | undefined;
  while (firstAcceptedMs === undefined && performance.now() - cutAt < WARMUP_LIMIT_MS) {
    const response = await fetch(robusto.url + ROUTE, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: studentBody() });
    const text = await response.text();
    add(warmupCounts, new Map([[response.status, 1]]));
    if (response.status >= 300) log(`warm-up: ${response.status} ${text.slice(0, 200)}`);
    if (response.status === 202) firstAcceptedMs = performance.now() - cutAt;
  }
  add(clientCounts, warmupCounts);
  log(`warm-up after the cut: ${codesText(warmupCounts)}, first 202 after ${firstAcceptedMs?.toFixed(0) ?? 'never'} ms`);
  if (firstAcceptedMs === undefined) throw new Error(`no write was journaled (202) within ${WARMUP_LIMIT_MS / 1000} s of the cut`);

  const before: JournalStats = app.journal.stats();
  // Whether requests still wait on PostgreSQL during the outage (e.g. a sign-in lookup per request).
  const poolSeen = { total: 0, waiting: 0 };
  const sampler = setInterval(() => {
    const pool = app.db.poolStats();
    poolSeen.total = Math.max(poolSeen.total, pool.total);
    poolSeen.waiting = Math.max(poolSeen.waiting, pool.waiting);
  }, 100);
  const outage = await load().finally(() => clearInterval(sampler));
  const after: JournalStats = app.journal.stats();
  add(clientCounts, outage.statusCodes);
  log(
    `outage: ${codesText(outage.statusCodes)} in ${outage.durationSeconds} s; ${outage.sent - outage.requests} cut off unanswered at the end; settled after ${(await settle(app, serverCounts)).toFixed(0)} ms; pool during the outage: up to ${poolSeen.total} connections open, ${poolSeen.waiting} callers waiting`,
  );
  const groupCommits = after.groupCommits - before.groupCommits;
  const appended = after.appendedTotal - before.appendedTotal;

  // 3. Drain: the proxy passes again; the replayer empties the journal.
  const pendingAtPass = app.journal.stats().pending;
  const passAt = performance.now();
  await proxy.pass();
  let firstReplayMs: number | undefined;
  let emptyMs: number | undefined;
  let pollMs = 0;
  let polls = 0;
  while (emptyMs === undefined && performance.now() - passAt < DRAIN_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    const t0 = performance.now();
    const { pending } = app.journal.stats();
    pollMs += performance.now() - t0;
    polls++;
    if (firstReplayMs === undefined && pending < pendingAtPass) firstReplayMs = t0 - passAt;
    if (pending === 0) emptyMs = t0 - passAt;
  }
  const drained = app.journal.stats();
  log(
    `drain: ${pendingAtPass} entries, first replayed after ${firstReplayMs?.toFixed(0) ?? '-'} ms, empty after ${emptyMs?.toFixed(0) ?? `more than ${DRAIN_LIMIT_MS} `} ms; ${polls} stats() polls took ${(pollMs / Math.max(polls, 1)).toFixed(1)} ms each on average; dead letters: ${drained.dead}`,
  );
  if (emptyMs === undefined) {
    failed = true;
    log(`!!! the journal did not empty within ${DRAIN_LIMIT_MS / 1000} s of the proxy passing again: ${drained.pending} still pending`);
  }

  // 4. Correctness: one student row per acknowledged write (counted as the server sent it; the
  // client misses the answers autocannon cuts off when a run stops), read directly, not via the proxy.
  const rows = await countStudents(database.url);
  const cutOff = direct.sent - direct.requests + (outage.sent - outage.requests);
  const serverAcks = acknowledged(serverCounts);
  const clientAcks = acknowledged(clientCounts);
  const consistent = rows === serverAcks && clientAcks <= rows && rows <= clientAcks + cutOff && drained.dead === 0;
  if (!consistent) {
    failed = true;
    log(
      `\n!!! MISMATCH: ${rows} student rows in the database, but the server answered ${serverAcks} writes 201/202 (${codesText(serverCounts)}); ` +
        `the client received ${clientAcks} 201/202 (${codesText(clientCounts)}) with ${cutOff} requests cut off unanswered; dead letters: ${drained.dead}` +
        (serverCounts.has(503) ? ` (a 503 is a write whose outcome is unknown, or that neither the database nor the journal took)` : '') +
        '\n',
    );
  }

  // 5. The table.
  const directRate = (direct.statusCodes[201] ?? 0) / direct.durationSeconds;
  const intakeRate = (outage.statusCodes[202] ?? 0) / outage.durationSeconds;
  const drainRate = emptyMs === undefined ? 0 : pendingAtPass / (emptyMs / 1000);
  const replayRate = emptyMs === undefined || firstReplayMs === undefined ? 0 : pendingAtPass / ((emptyMs - firstReplayMs) / 1000);
  const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
  const met = (ok: boolean) => (ok ? 'yes' : '**no**');
  const outageNon2xx = Object.entries(outage.statusCodes).filter(([code]) => Number(code) >= 300);
  process.stdout.write(
    `\nOutage benchmark (BENCH_DURATION=${DURATION} BENCH_CONNECTIONS=${CONNECTIONS} npm run bench:outage): POST ${ROUTE}, PostgreSQL through a fault proxy, ` +
      `one app, ${CONNECTIONS} connections, ${DURATION} s per phase, node ${process.version}, ${os.cpus().length} cores\n\n` +
      markdownTable(
        ['phase', 'measure', 'value', 'target', 'met'],
        [
          ['direct', 'req/s (201)', fmt(directRate), '', ''],
          ['direct', 'p50 / p99 ms', `${direct.p50Ms} / ${direct.p99Ms}`, '', ''],
          ['direct', 'non-2xx / errors', `${direct.non2xx} / ${direct.errors}`, '0', met(direct.non2xx + direct.errors === 0)],
          ['outage', 'warm-up: cut → first 202, ms', fmt(firstAcceptedMs), '', ''],
          ['outage', 'intake req/s (202 only)', fmt(intakeRate), '', ''],
          ['outage', 'p50 / p99 ms (acknowledgement)', `${outage.p50Ms} / ${outage.p99Ms}`, '', ''],
          [
            'outage',
            'non-2xx / errors',
            `${outage.non2xx} / ${outage.errors}${outageNon2xx.length ? ` (${codesText(Object.fromEntries(outageNon2xx))})` : ''}`,
            '0',
            met(outage.non2xx + outage.errors === 0),
          ],
          [
            'outage',
            'mean batch (entries ÷ group commits)',
            `${groupCommits ? (appended / groupCommits).toFixed(1) : '-'} (${appended} ÷ ${groupCommits})`,
            '',
            '',
          ],
          ['outage', 'group commits (fsyncs)/s', fmt(groupCommits / outage.durationSeconds), '', ''],
          ['drain', 'entries to replay', pendingAtPass, '', ''],
          ['drain', 'time to empty, s (from proxy.pass())', emptyMs === undefined ? `> ${DRAIN_LIMIT_MS / 1000}` : (emptyMs / 1000).toFixed(2), '', ''],
          ['drain', 'of which before the first replay, s', firstReplayMs === undefined ? '-' : (firstReplayMs / 1000).toFixed(2), '', ''],
          ['drain', 'entries/s (entries ÷ time to empty)', fmt(drainRate), '', ''],
          ['drain', 'entries/s once replaying', fmt(replayRate), '', ''],
          ['ratio', 'intake ÷ direct', (intakeRate / directRate).toFixed(2), '≥ 1', met(intakeRate >= directRate)],
          ['ratio', 'drain ÷ intake', (drainRate / intakeRate).toFixed(2), '≥ 2', met(drainRate >= 2 * intakeRate)],
          ['ratio', 'intake p99 < 50 ms', `${outage.p99Ms} ms`, '< 50 ms', met(outage.p99Ms < 50)],
          ['check', 'student rows = 201 + 202 (as sent by the server)', `${rows} = ${serverAcks}`, 'equal', met(consistent)],
        ],
      ) +
      `\n\nThe client received ${clientAcks} of the server's ${serverAcks} 201/202 (${cutOff} requests cut off unanswered when autocannon stopped); server answers: ${codesText(serverCounts)}.\n`,
  );
} catch (error) {
  failed = true;
  log(`outage benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await robusto.close();
  await proxy.close();
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;
