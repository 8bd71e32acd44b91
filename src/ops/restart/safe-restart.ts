import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../../config/config.js';
import { packageInfo } from '../../config/package-info.js';
import { createDb } from '../../db/create-db.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../log/create-logger.js';
import { createTokenService } from '../../identity/index.js';
import { Journal } from '../../resilience/journal.js';
import { errorText } from '../../shared/error-text.js';
import { dataTables } from '../backup/catalog.js';
import { createVerifiedBackup } from '../backup/verified-backup.js';
import { isProcessAlive, runningSupervisorPid } from '../supervisor-files.js';
import { acquireRestartLock } from './restart-lock.js';
import { writeRestartReport, type RestartOutcome, type RestartStep } from './restart-report.js';
import { serviceManagerOf, supervisorLaunch } from './supervisor-launch.js';

export type { RestartOutcome, RestartStep } from './restart-report.js';

/** How long the journal may take to empty before the stop (it is on disk either way). */
export const RESTART_JOURNAL_WAIT_MS = 60_000;
/** How long the new server may take to answer `/health/ready`. */
export const RESTART_READY_WAIT_MS = 60_000;
/** Extra time past `SHUTDOWN_TIMEOUT_MS` the old supervisor may take to exit. */
export const RESTART_STOP_MARGIN_MS = 15_000;
/** `/health` requests timed after the start. */
export const RESTART_LATENCY_SAMPLES = 10;
/** The longest one HTTP request of the restart (readiness, checks) may take. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Tables whose rows robusto deletes by itself (expired idempotency keys, pruned by a job that
 * may run as the new server starts): a shrink there is never taken for a loss.
 */
const PRUNED_TABLES = new Set(['idempotency_keys']);

class RestartStepError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it is true or `timeoutMs` has passed (each probe must bound its own time). */
async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/** True when nothing accepts connections on the port any more; a silent port counts as taken. */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** An HTTP request of the restart: bounded in time, its body always read. */
async function request(url: string, init: RequestInit = {}): Promise<{ status: number; body: string; ms: number } | undefined> {
  const at = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = await response.text();
    return { status: response.status, body, ms: Math.round((performance.now() - at) * 10) / 10 };
  } catch {
    return undefined;
  }
}

async function rowCounts(db: Database): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of await dataTables(db)) {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table.name)}`.execute(db.kysely);
    counts.set(table.name, Number(rows[0]?.n ?? 0));
  }
  return counts;
}

/** Options of {@link safeRestart}: the script `robusto start` runs from, and the clock for the report's name. */
export interface SafeRestartOptions {
  bin: string;
  now?: Date;
}

/**
 * Restarts a running `robusto start` safely (docs/operations.md, "Safe restart"), phase by phase, and
 * stops at the first phase that fails:
 *
 * 1. **find** the supervisor of this `DATA_DIR` (its pid file); one restart at a time (a lock);
 *    one run by systemd is left to systemd;
 * 2. **backup** the database into `BACKUP_DIR` and verify it: until here nothing was changed;
 * 3. **journal**: wait (up to a minute) for the writes waiting in the journal to be applied;
 *    what is still there is on disk and is applied after the start;
 * 4. **stop** it with SIGTERM (it drains its requests), wait for it to exit and the port to be
 *    free, then count every table's rows;
 * 5. **start** `robusto start` again, detached, with the old supervisor's working directory and
 *    environment, its output appended to `DATA_DIR/logs/robusto-console.log`, and wait for
 *    `/health/ready`. From the stop until here, Ctrl-C does not interrupt it;
 * 6. **check**: no table holds fewer rows than at the stop (unless users have written since
 *    the start: then a warning); a customer created, read and deleted through the API as the
 *    first owner (only a read while writes wait in the journal); `/health` latency.
 *
 * Writes a Markdown report into `DATA_DIR/reports/` whatever the outcome. Safe to run twice:
 * the second run restarts the server the first one started.
 */
export async function safeRestart(config: Readonly<Config>, log: Logger, options: SafeRestartOptions): Promise<RestartOutcome> {
  const started = options.now ?? new Date();
  const outcome: RestartOutcome = { ok: false, stopped: false, steps: [], warnings: [], counts: [], latencyMs: { health: [], api: {} }, backupDir: undefined, report: '' };
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
  // Once the old server is stopped, an interrupt must not leave the installation without one.
  const holdInterrupts = () => process.stderr.write('robusto restart: the server is stopped and being started again; not interrupting\n');

  let release: (() => void) | undefined;
  const db = createDb(config, log);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const base = `http://${host}:${config.port}`;
  try {
    const pid = await step('find', async () => {
      try {
        release = acquireRestartLock(config.paths.dataDir);
      } catch (error) {
        throw new RestartStepError((error as Error).message);
      }
      const found = runningSupervisorPid(config.paths.dataDir);
      if (!found) throw new RestartStepError(`robusto is not running for ${config.paths.dataDir} (no live supervisor in its pid file): start it with "robusto start"`);
      const manager = serviceManagerOf(supervisorLaunch(found).env);
      if (manager) {
        throw new RestartStepError(`the supervisor (pid ${found}) runs under ${manager}, which would start another one: restart it with "systemctl restart <its unit>" (it stops gracefully too), after "robusto backup"`);
      }
      return { value: found, detail: `supervisor pid ${found}` };
    });
    const launch = supervisorLaunch(pid);

    const backup = await step('backup', async () => {
      const made = await createVerifiedBackup(db, { root: config.paths.backupsDir, robustoVersion: packageInfo().version, encryptionKey: config.backup.encryptionKey, extraModules: config.extraModules });
      outcome.backupDir = made.dir;
      return { value: made.manifest, detail: `${made.dir}, verified (${made.manifest.tables.reduce((n, t) => n + t.rows, 0)} rows in ${made.manifest.tables.length} tables)` };
    });

    await step('journal', async () => {
      const journal = new Journal(config.paths.dataDir, config.journal);
      try {
        const before = journal.stats().pending;
        const emptied = await until(() => journal.stats().pending === 0, RESTART_JOURNAL_WAIT_MS);
        const left = journal.stats().pending;
        if (!emptied) outcome.warnings.push(`${left} write(s) still waited in the journal at the stop; they are on disk and the new server applies them`);
        return {
          value: left,
          detail: emptied ? (before === 0 ? 'no write waiting' : `${before} waiting write(s) applied by the running server before the stop`) : `${left} write(s) still wait after ${RESTART_JOURNAL_WAIT_MS / 1000} s`,
        };
      } finally {
        journal.close();
      }
    });

    process.on('SIGINT', holdInterrupts);
    process.on('SIGTERM', holdInterrupts);
    const atStop = await step('stop', async () => {
      // NB: the backup may have taken long: signal only the supervisor found, if it still is.
      const now = runningSupervisorPid(config.paths.dataDir);
      if (now !== pid) throw new RestartStepError(`the supervisor changed while the backup ran (pid ${pid}, now ${now ?? 'none'}); run "robusto restart" again`);
      process.kill(pid, 'SIGTERM');
      outcome.stopped = true;
      const deadline = config.shutdownTimeoutMs + RESTART_STOP_MARGIN_MS;
      if (!(await until(() => !isProcessAlive(pid), deadline))) {
        throw new RestartStepError(`supervisor pid ${pid} did not exit within ${deadline} ms of SIGTERM; see its log. Stop it (kill ${pid}), then run "robusto start"`);
      }
      if (!(await until(() => portFree(host, config.port), 10_000))) throw new RestartStepError(`port ${config.port} is still taken after the stop: another process listens there`);
      return { value: await rowCounts(db), detail: `pid ${pid} exited after draining its requests; port ${config.port} free` };
    });

    const startedAt = new Date().toISOString();
    await step('start', async () => {
      mkdirSync(config.paths.logsDir, { recursive: true });
      const consoleFile = path.join(config.paths.logsDir, 'robusto-console.log');
      const output = openSync(consoleFile, 'a');
      let failure: string | undefined;
      try {
        const child = spawn(process.execPath, [...process.execArgv, options.bin, 'start'], { cwd: launch.cwd, env: launch.env, detached: true, stdio: ['ignore', output, output] });
        child.once('error', (error) => (failure = `cannot start "robusto start": ${error.message}`));
        child.once('exit', (code, signal) => (failure = `"robusto start" exited at once (${signal ?? `code ${code}`}); see ${consoleFile}`));
        child.unref();
      } finally {
        closeSync(output);
      }
      const ready = await until(async () => failure !== undefined || (await request(`${base}/health/ready`))?.status === 200, RESTART_READY_WAIT_MS);
      if (failure) throw new RestartStepError(failure);
      if (!ready) throw new RestartStepError(`the new server did not answer ${base}/health/ready within ${RESTART_READY_WAIT_MS / 1000} s; see ${consoleFile}`);
      return { value: undefined, detail: `supervisor pid ${runningSupervisorPid(config.paths.dataDir) ?? '?'}, ready at ${base}` };
    });
    process.off('SIGINT', holdInterrupts);
    process.off('SIGTERM', holdInterrupts);

    await step('check', async () => {
      const after = await rowCounts(db);
      const byName = new Map(backup.tables.map((t) => [t.name, t.rows]));
      const fewer: string[] = [];
      for (const table of [...new Set([...atStop.keys(), ...after.keys()])].sort()) {
        const counts = { table, backup: byName.get(table), atStop: atStop.get(table) ?? 0, afterStart: after.get(table) };
        outcome.counts.push(counts);
        if (!PRUNED_TABLES.has(table) && (counts.afterStart ?? 0) < counts.atStop) fewer.push(`${table}: ${counts.atStop} at the stop, ${counts.afterStart ?? 0} now`);
      }
      if (fewer.length > 0) {
        // Users may already have deleted something through the new server: every write leaves an audit row.
        const { rows } = await sql<{ n: number | string }>`select count(*) as n from audit_log where created_at >= ${startedAt}`.execute(db.kysely);
        if (Number(rows[0]?.n ?? 0) === 0) {
          throw new RestartStepError(`tables hold fewer rows than at the stop and nobody has written since the start: ${fewer.join('; ')}. Compare with the backup ${outcome.backupDir} before doing anything else`);
        }
        outcome.warnings.push(`fewer rows than at the stop (${fewer.join('; ')}), with writes since the start that may explain it: see the audit log`);
      }
      const api = await apiCheck(db, config, base, outcome);
      for (let i = 0; i < RESTART_LATENCY_SAMPLES; i++) {
        const health = await request(`${base}/health`);
        if (health?.status !== 200) throw new RestartStepError(`/health answered ${health?.status ?? 'nothing'} after the start`);
        outcome.latencyMs.health.push(health.ms);
      }
      const sorted = [...outcome.latencyMs.health].sort((a, b) => a - b);
      return { value: undefined, detail: `${fewer.length === 0 ? 'no table lost a row' : 'row counts: see the warning'}; ${api}; /health median ${sorted[Math.floor(sorted.length / 2)]} ms` };
    });
    outcome.ok = true;
  } catch (error) {
    if (!(error instanceof RestartStepError)) throw error;
  } finally {
    process.off('SIGINT', holdInterrupts);
    process.off('SIGTERM', holdInterrupts);
    try {
      release?.();
    } finally {
      try {
        outcome.report = writeRestartReport(config, outcome, started);
      } finally {
        await db.close();
      }
    }
  }
  return outcome;
}

/**
 * A customer created, read and deleted through the API as the first active owner (its audit
 * rows stay, naming the check). While writes wait in the journal a new write would be queued
 * behind them (202), so only a read is checked then. Returns what was checked.
 */
async function apiCheck(db: Database, config: Readonly<Config>, base: string, outcome: RestartOutcome): Promise<string> {
  const owner = await db.kysely
    .selectFrom('users')
    .select(['id', 'tenant_id', 'token_epoch'])
    .where('role', '=', 'owner')
    .where('active', '=', 1)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (!owner) throw new RestartStepError('no active owner to run the API check as');
  const { token } = createTokenService(config.secretKey).sign({ sub: owner.id as string, tid: owner.tenant_id as string, role: 'owner', ep: Number(owner.token_epoch) });
  const call = async (name: string, method: string, url: string, body?: unknown) => {
    const answer = await request(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (answer) outcome.latencyMs.api[name] = answer.ms;
    return answer;
  };
  const journal = new Journal(config.paths.dataDir, config.journal);
  const waiting = journal.stats().pending;
  journal.close();
  if (waiting > 0) {
    const list = await call('list customers', 'GET', '/api/customers?limit=1');
    if (list?.status !== 200) throw new RestartStepError(`listing customers answered ${list?.status ?? 'nothing'}`);
    return `customers listed through the API (no create/delete check: ${waiting} write(s) still wait in the journal)`;
  }
  const created = await call('create a customer', 'POST', '/api/customers', { kind: 'company', name: 'robusto restart check', notes: 'created and deleted by robusto restart' });
  if (created?.status === 202) {
    throw new RestartStepError('the check\'s customer was queued in the journal (202), not saved: the database is not taking writes; the customer "robusto restart check" appears once it is, and can be deleted then');
  }
  if (created?.status !== 201) throw new RestartStepError(`creating a customer answered ${created?.status ?? 'nothing'}: ${created?.body ?? ''}`);
  const { id } = JSON.parse(created.body) as { id: string };
  const read = await call('read a customer', 'GET', `/api/customers/${id}`);
  if (read?.status !== 200) throw new RestartStepError(`reading the customer back answered ${read?.status ?? 'nothing'}`);
  const deleted = await call('delete a customer', 'DELETE', `/api/customers/${id}`);
  if (deleted?.status !== 200) throw new RestartStepError(`deleting the customer answered ${deleted?.status ?? 'nothing'}`);
  return 'customer created, read and deleted through the API';
}
