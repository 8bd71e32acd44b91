import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../../config/config.js';
import { packageInfo } from '../../config/package-info.js';
import { createDb } from '../../db/create-db.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../log/create-logger.js';
import { authServicesFor } from '../../modules/auth/index.js';
import { Journal } from '../../resilience/journal.js';
import { errorText } from '../../shared/error-text.js';
import { createBackup } from '../backup/backup.js';
import { dataTables } from '../backup/catalog.js';
import { verifyBackup } from '../backup/verify.js';
import { runningSupervisorPid } from '../supervisor-files.js';

/** How long the journal may take to empty before the stop (it is on disk either way). */
export const RESTART_JOURNAL_WAIT_MS = 60_000;
/** How long the new server may take to answer `/health/ready`. */
export const RESTART_READY_WAIT_MS = 60_000;
/** Extra time past `SHUTDOWN_TIMEOUT_MS` the old supervisor may take to exit. */
export const RESTART_STOP_MARGIN_MS = 15_000;
/** `/health` requests timed after the start. */
export const RESTART_LATENCY_SAMPLES = 10;

/** One phase of a restart as the report shows it. */
export interface RestartStep {
  phase: 'find' | 'backup' | 'journal' | 'stop' | 'start' | 'check';
  ok: boolean;
  /** What happened, in a sentence; for a failure, what to do. */
  detail: string;
  ms: number;
}

/** What {@link safeRestart} did: every phase run, the row counts compared, and where the report is. */
export interface RestartOutcome {
  ok: boolean;
  /** The old server was stopped (a failure after this point leaves it stopped or restarted). */
  stopped: boolean;
  steps: RestartStep[];
  /** Rows per table: in the backup, when the old server had stopped, and after the new one started. */
  counts: Array<{ table: string; backup: number | undefined; atStop: number; afterStart: number | undefined }>;
  latencyMs: { health: number[]; smoke: Record<string, number> };
  backupDir: string | undefined;
  report: string;
}

/**
 * Tables whose rows robusto deletes by itself (expired idempotency keys, pruned by a job that
 * may run as the new server starts): the check does not count a shrink there as a loss.
 */
const PRUNED_TABLES = new Set(['idempotency_keys']);

/** The lock that keeps two restarts of one installation from running at once. */
export function restartLockOf(dataDir: string): string {
  return path.join(dataDir, 'restart.lock');
}

class RestartStepError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when nothing accepts connections on the server's port any more. */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function rowCounts(db: Database): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of await dataTables(db)) {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table.name)}`.execute(db.kysely);
    counts.set(table.name, Number(rows[0]?.n ?? 0));
  }
  return counts;
}

/** Options of {@link safeRestart}: where the `robusto` binary is, and the clock for the report's name. */
export interface SafeRestartOptions {
  /** The script `robusto start` runs from (this process's own main). */
  bin: string;
  now?: Date;
}

/**
 * Restarts a running `robusto start` safely (DESIGN.md, "Safe restart"), phase by phase, and
 * stops at the first phase that fails:
 *
 * 1. **find** the supervisor of this `DATA_DIR` (its pid file);
 * 2. **backup** the database into `BACKUP_DIR` and verify it: until here nothing was changed;
 * 3. **journal**: wait (up to a minute) for the writes waiting in the journal to be applied;
 *    what is still there is on disk and is applied after the start;
 * 4. **stop** it with SIGTERM (it drains its requests), wait for it to exit and the port to be
 *    free, then count every table's rows;
 * 5. **start** `robusto start` again, detached, its output appended to
 *    `DATA_DIR/logs/robusto-console.log`, and wait for `/health/ready`;
 * 6. **check**: every table holds the rows it held at the stop; a create, read and delete of a
 *    customer through the API as the first owner; `/health` latency.
 *
 * Writes a Markdown report into `DATA_DIR/reports/` whatever the outcome. Safe to run twice:
 * the second run restarts the server the first one started. Two at once are refused (a lock in
 * `DATA_DIR`).
 */
export async function safeRestart(config: Readonly<Config>, log: Logger, options: SafeRestartOptions): Promise<RestartOutcome> {
  const started = options.now ?? new Date();
  const outcome: RestartOutcome = { ok: false, stopped: false, steps: [], counts: [], latencyMs: { health: [], smoke: {} }, backupDir: undefined, report: '' };
  const step = async <T>(phase: RestartStep['phase'], work: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    const at = performance.now();
    try {
      const { value, detail } = await work();
      outcome.steps.push({ phase, ok: true, detail, ms: Math.round(performance.now() - at) });
      return value;
    } catch (error) {
      outcome.steps.push({ phase, ok: false, detail: error instanceof RestartStepError ? error.message : errorText(error), ms: Math.round(performance.now() - at) });
      throw new RestartStepError(phase);
    }
  };

  const lock = restartLockOf(config.paths.dataDir);
  let locked = false;
  const db = createDb(config, log);
  try {
    await step('find', async () => {
      try {
        closeSync(openSync(lock, 'wx'));
        locked = true;
      } catch {
        throw new RestartStepError(`another restart of ${config.paths.dataDir} is running (${lock} exists); if none is, delete that file and run again`);
      }
      const pid = runningSupervisorPid(config.paths.dataDir);
      if (!pid) throw new RestartStepError(`robusto is not running for ${config.paths.dataDir} (no live supervisor in its pid file): start it with "robusto start"`);
      return { value: pid, detail: `supervisor pid ${pid}` };
    });
    const pid = runningSupervisorPid(config.paths.dataDir) as number;

    const backup = await step('backup', async () => {
      const made = await createBackup(db, { root: config.paths.backupsDir, robustoVersion: packageInfo().version });
      const { problems } = await verifyBackup(made.dir);
      if (problems.length > 0) throw new RestartStepError(`the backup ${made.dir} did not read back (${problems.join('; ')}); nothing was stopped. Check the disk under ${config.paths.backupsDir}`);
      outcome.backupDir = made.dir;
      return { value: made.manifest, detail: `${made.dir}, verified (${made.manifest.tables.reduce((n, t) => n + t.rows, 0)} rows in ${made.manifest.tables.length} tables)` };
    });

    await step('journal', async () => {
      const journal = new Journal(config.paths.dataDir, { maxMegabytes: config.journalMaxMegabytes });
      try {
        const before = journal.stats().pending;
        const emptied = await until(() => journal.stats().pending === 0, RESTART_JOURNAL_WAIT_MS);
        const left = journal.stats().pending;
        return {
          value: left,
          detail: emptied
            ? before === 0
              ? 'no write waiting'
              : `${before} waiting write(s) applied by the running server before the stop`
            : `${left} write(s) still wait after ${RESTART_JOURNAL_WAIT_MS / 1000} s (the database may be slow to take them); they are on disk and the new server applies them`,
        };
      } finally {
        journal.close();
      }
    });

    const atStop = await step('stop', async () => {
      process.kill(pid, 'SIGTERM');
      outcome.stopped = true;
      const deadline = config.shutdownTimeoutMs + RESTART_STOP_MARGIN_MS;
      if (!(await until(() => !alive(pid), deadline))) {
        throw new RestartStepError(`supervisor pid ${pid} did not exit within ${deadline} ms of SIGTERM; see its log. Stop it (kill ${pid}), then run "robusto start"`);
      }
      const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
      if (!(await until(() => portFree(host, config.port), 10_000))) throw new RestartStepError(`port ${config.port} is still taken after the stop: another process listens there`);
      const counts = await rowCounts(db);
      return { value: counts, detail: `pid ${pid} exited after draining its requests; port ${config.port} free` };
    });

    const base = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${config.port}`;
    await step('start', async () => {
      mkdirSync(config.paths.logsDir, { recursive: true });
      const output = openSync(path.join(config.paths.logsDir, 'robusto-console.log'), 'a');
      const child = spawn(process.execPath, [options.bin, 'start'], { cwd: process.cwd(), env: process.env, detached: true, stdio: ['ignore', output, output] });
      child.unref();
      closeSync(output);
      const ready = await until(async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200, RESTART_READY_WAIT_MS);
      if (!ready) throw new RestartStepError(`the new server did not answer ${base}/health/ready within ${RESTART_READY_WAIT_MS / 1000} s; see ${path.join(config.paths.logsDir, 'robusto-console.log')}`);
      return { value: undefined, detail: `supervisor pid ${runningSupervisorPid(config.paths.dataDir) ?? child.pid}, ready at ${base}` };
    });

    await step('check', async () => {
      const after = await rowCounts(db);
      const tables = new Set([...atStop.keys(), ...after.keys()]);
      const byName = new Map(backup.tables.map((t) => [t.name, t.rows]));
      const lost: string[] = [];
      for (const table of [...tables].sort()) {
        const counts = { table, backup: byName.get(table), atStop: atStop.get(table) ?? 0, afterStart: after.get(table) };
        outcome.counts.push(counts);
        // Rows only this check's own writes add (its audit rows) may appear; none may go.
        if (!PRUNED_TABLES.has(table) && (counts.afterStart ?? 0) < counts.atStop) lost.push(`${table}: ${counts.atStop} at the stop, ${counts.afterStart ?? 0} now`);
      }
      if (lost.length > 0) throw new RestartStepError(`rows are missing after the start: ${lost.join('; ')}. Restore ${outcome.backupDir} if they do not come back`);
      await smokeTest(db, config, base, outcome.latencyMs.smoke);
      for (let i = 0; i < RESTART_LATENCY_SAMPLES; i++) {
        const at = performance.now();
        const response = await fetch(`${base}/health`);
        await response.arrayBuffer();
        outcome.latencyMs.health.push(Math.round((performance.now() - at) * 10) / 10);
        if (response.status !== 200) throw new RestartStepError(`/health answered ${response.status} after the start`);
      }
      const sorted = [...outcome.latencyMs.health].sort((a, b) => a - b);
      return { value: undefined, detail: `no table lost a row; customer created, read and deleted through the API; /health median ${sorted[Math.floor(sorted.length / 2)]} ms` };
    });
    outcome.ok = true;
  } catch (error) {
    if (!(error instanceof RestartStepError)) throw error;
  } finally {
    await db.close();
    outcome.report = writeReport(config, outcome, started);
    if (locked) rmSync(lock, { force: true });
  }
  return outcome;
}

/** A customer created, read and deleted through the API as the first active owner; times per request. */
async function smokeTest(db: Database, config: Readonly<Config>, base: string, times: Record<string, number>): Promise<void> {
  const owner = await db.kysely
    .selectFrom('users')
    .select(['id', 'tenant_id'])
    .where('role', '=', 'owner')
    .where('active', '=', 1)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (!owner) throw new RestartStepError('no active owner to run the create/read/delete check as');
  const { token } = authServicesFor(db, config.secretKey).tokens.sign({ sub: owner.id as string, tid: owner.tenant_id as string, role: 'owner' });
  const request = async (name: string, method: string, url: string, body?: unknown): Promise<Response> => {
    const at = performance.now();
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    times[name] = Math.round((performance.now() - at) * 10) / 10;
    return response;
  };
  const created = await request('create', 'POST', '/api/customers', { kind: 'company', name: 'robusto restart check', notes: 'created and deleted by robusto restart' });
  if (created.status !== 201) throw new RestartStepError(`creating a customer answered ${created.status}: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const read = await request('read', 'GET', `/api/customers/${id}`);
  if (read.status !== 200) throw new RestartStepError(`reading the customer back answered ${read.status}`);
  const deleted = await request('delete', 'DELETE', `/api/customers/${id}`);
  if (deleted.status !== 200) throw new RestartStepError(`deleting the customer answered ${deleted.status}`);
}

function writeReport(config: Readonly<Config>, outcome: RestartOutcome, started: Date): string {
  mkdirSync(config.paths.reportsDir, { recursive: true });
  const file = path.join(config.paths.reportsDir, `restart-${started.toISOString().replace(/[-:.]/g, '')}.md`);
  const failed = outcome.steps.find((s) => !s.ok);
  const lines = [
    `# robusto restart — ${outcome.ok ? 'SUCCESS' : 'FAILURE'}`,
    '',
    `- started: ${started.toISOString()}`,
    `- data directory: ${config.paths.dataDir}`,
    `- database: ${config.engine}`,
    `- backup: ${outcome.backupDir ?? 'none'}`,
    failed
      ? `- failed at **${failed.phase}**: ${failed.detail}${outcome.stopped ? '' : ' — the running server was not touched'}`
      : '- every phase passed',
    '',
    '| phase | result | time | detail |',
    '| --- | --- | --- | --- |',
    ...outcome.steps.map((s) => `| ${s.phase} | ${s.ok ? 'ok' : 'FAILED'} | ${s.ms} ms | ${s.detail.replaceAll('|', '\\|')} |`),
    '',
  ];
  if (outcome.counts.length > 0) {
    lines.push('## Rows per table', '', '| table | in the backup | at the stop | after the start |', '| --- | --- | --- | --- |');
    lines.push(...outcome.counts.map((c) => `| ${c.table} | ${c.backup ?? '—'} | ${c.atStop} | ${c.afterStart ?? '—'} |`), '');
  }
  if (outcome.latencyMs.health.length > 0) {
    lines.push('## Latency after the start', '');
    lines.push(`- /health: ${outcome.latencyMs.health.join(', ')} ms`);
    for (const [name, ms] of Object.entries(outcome.latencyMs.smoke)) lines.push(`- ${name} a customer: ${ms} ms`);
    lines.push('');
  }
  writeFileSync(file, lines.join('\n'), { mode: 0o600 });
  return file;
}
