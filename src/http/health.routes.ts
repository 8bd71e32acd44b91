import type { FastifyReply } from 'fastify';
import { packageInfo } from '../config/package-info.js';
import type { Database } from '../db/database.js';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import type { Journal } from '../resilience/journal/journal.js';
import { FAILURES_TO_ALERT, type JobRunner } from '../jobs/job-runner.js';
import type { ModuleContext } from '../modules/module.js';
import type { LoadedModule, ModuleRegistry } from '../modules/module-registry.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { AppState } from './app-state.js';
import type { HttpServer } from './create-server.js';
import { errorText } from '../shared/error-text.js';
import { DETAILS_HIDDEN_NOTE, type DetailsGate } from './health-details.js';

/** Longest any single health check may take; a stalled database cannot hang `/health`. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;
/** The media type of health responses (IETF draft "Health Check Response Format for HTTP APIs"). */
export const HEALTH_CONTENT_TYPE = 'application/health+json';

/** Status of one check or of the whole service, in the draft's vocabulary. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** One entry of `checks` in a health response. */
export interface CheckResult {
  componentId?: string;
  componentType?: string;
  observedValue?: unknown;
  observedUnit?: string;
  status: HealthStatus;
  time: string;
  output?: string;
}

/** What the health routes need to look at. */
export interface HealthDeps {
  db: Database;
  journal: Journal;
  circuit: DatabaseCircuit;
  registry: ModuleRegistry;
  state: AppState;
  contextOf: (module: LoadedModule) => ModuleContext;
  jobs: Pick<JobRunner, 'states'>;
  /** Whether a request may see the details (outputs, figures, version; see `HEALTH_DETAILS`). */
  details: DetailsGate;
}

const RANK: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 };

function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'pass');
}

async function databaseCheck(db: Database, time: string): Promise<CheckResult> {
  try {
    const latency = await withTimeout(db.ping(), HEALTH_CHECK_TIMEOUT_MS, 'the database');
    return { componentType: 'datastore', componentId: db.engine, observedValue: Math.round(latency * 100) / 100, observedUnit: 'ms', status: 'pass', time };
  } catch (error) {
    return { componentType: 'datastore', componentId: db.engine, status: 'fail', time, output: `${db.engine} database unreachable: ${errorText(error)}` };
  }
}

/**
 * pass: empty and the circuit closed; warn: writes are being journaled (circuit open) or drained
 * (still accepted); fail: the journal cannot take writes.
 */
function journalCheck(journal: Journal, circuit: DatabaseCircuit, time: string): CheckResult {
  const stats = journal.stats();
  const base = {
    componentType: 'component',
    observedValue: { depth: stats.pending, oldestPendingAt: stats.oldestPendingAt, dead: stats.dead, circuit: circuit.status },
    time,
  };
  if (!journal.writable())
    return {
      ...base,
      status: 'fail',
      output: `the journal cannot take writes (${journal.failure() ?? 'full: JOURNAL_MAX_MB'}): while the database is down or writes wait in the journal, writes get 503`,
    };
  if (!circuit.closed)
    return { ...base, status: 'warn', output: `database circuit ${circuit.status}: writes are journaled (accepted, applied when the database answers)` };
  if (stats.pending > 0) return { ...base, status: 'warn', output: `${stats.pending} write(s) accepted while the database was down, waiting to be applied` };
  if (stats.dead > 0) return { ...base, status: 'warn', output: `${stats.dead} journaled write(s) could not be applied (dead letters)` };
  return { ...base, status: 'pass' };
}

function poolCheck(db: Database, time: string): CheckResult {
  const stats = db.poolStats();
  const saturated = stats.waiting > 0 && stats.total >= stats.max;
  return {
    componentType: 'datastore',
    componentId: db.engine,
    observedValue: stats,
    status: saturated ? 'warn' : 'pass',
    time,
    ...(saturated ? { output: `all ${stats.max} connections busy, ${stats.waiting} waiting` } : {}),
  };
}

async function moduleCheck(module: LoadedModule, ctx: () => ModuleContext, time: string): Promise<CheckResult> {
  const base = { componentId: module.name, componentType: 'component', observedValue: module.status, time };
  if (module.status === 'failed') return { ...base, status: 'warn', output: `failed at ${module.stage}: ${module.error}` };
  if (module.status === 'pending') return { ...base, status: 'warn', output: 'waiting for the database to apply its migrations' };
  const own = module.definition?.health;
  if (!own) return { ...base, status: 'pass' };
  try {
    const result = await withTimeout(own(ctx()), HEALTH_CHECK_TIMEOUT_MS, `module ${module.name} health check`);
    return { ...base, status: result.status === 'fail' ? 'warn' : result.status, ...(result.output ? { output: result.output } : {}) };
  } catch (error) {
    return { ...base, status: 'warn', output: `health check failed: ${errorText(error)}` };
  }
}

/**
 * One entry per job: warn once it has failed {@link FAILURES_TO_ALERT} times in a row (its alert
 * fired), or when its timing is wrong (a last run in the future, no run for longer than its period).
 */
async function jobChecks(jobs: HealthDeps['jobs'], time: string): Promise<CheckResult[]> {
  return (await jobs.states()).map((job) => {
    const outputs = [
      ...(job.consecutiveFailures > 0 ? [`failed ${job.consecutiveFailures} time(s) in a row: ${job.lastError ?? 'unknown error'}`] : []),
      ...(job.timing ? [job.timing] : []),
    ];
    return {
      componentId: job.name,
      componentType: 'component',
      observedValue: {
        lastRunAt: job.lastRunAt,
        lastSuccessAt: job.lastSuccessAt,
        consecutiveFailures: job.consecutiveFailures,
        nextRunAt: job.nextRunAt,
        running: job.running,
      },
      status: job.consecutiveFailures >= FAILURES_TO_ALERT || job.timing !== null ? 'warn' : 'pass',
      time,
      ...(outputs.length > 0 ? { output: outputs.join('; ') } : {}),
    };
  });
}

function sendHealth(reply: FastifyReply, status: HealthStatus, body: Record<string, unknown>): FastifyReply {
  return reply
    .code(status === 'fail' ? 503 : 200)
    .type(HEALTH_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send({ status, ...body });
}

/**
 * The checks as a caller without details sees them: each one's name, component and status, but
 * no output (error texts), observed value or unit.
 */
function checksWithoutDetails(checks: Record<string, CheckResult[]>): Record<string, CheckResult[]> {
  return Object.fromEntries(
    Object.entries(checks).map(([name, results]) => [
      name,
      results.map(({ componentId, componentType, status, time }) => ({
        ...(componentId ? { componentId } : {}),
        ...(componentType ? { componentType } : {}),
        status,
        time,
      })),
    ]),
  );
}

/**
 * Registers `/health/live` (the process can serve), `/health/ready` (it should get traffic:
 * started, modules loaded, not draining) and `/health` (every check, with a real database round
 * trip; 503 when the database fails, 200 on pass or warn). `/health` shows its details (outputs,
 * observed values, the version) only to whom `deps.details` allows; anyone else gets the status
 * and the check names, with a note saying how to get the rest.
 */
export function registerHealthRoutes(app: HttpServer, deps: HealthDeps): void {
  const { db, registry, state } = deps;
  app.get('/health/live', async (_request, reply) => sendHealth(reply, 'pass', { output: 'alive' }));

  app.get('/health/ready', async (_request, reply) => {
    if (state.phase !== 'ready') return sendHealth(reply, 'fail', { output: state.phase });
    // Ready as long as writes can be accepted: to the database, or to the journal. A broken
    // journal is tried again by a test write (at most once a second), so this follows its disk.
    if (deps.journal.writable()) return sendHealth(reply, 'pass', { output: 'ready' });
    return sendHealth(reply, 'fail', { output: `journal not writable: ${deps.journal.failure() ?? 'full: JOURNAL_MAX_MB'}` });
  });

  app.get('/health', async (request, reply) => {
    const time = new Date().toISOString();
    const [database, modules, jobs] = await Promise.all([
      databaseCheck(db, time),
      Promise.all(registry.modules.map((m) => moduleCheck(m, () => deps.contextOf(m), time))),
      jobChecks(deps.jobs, time),
    ]);
    const checks: Record<string, CheckResult[]> = {
      'database:responseTime': [database],
      'pool:connections': [poolCheck(db, time)],
      'journal:depth': [journalCheck(deps.journal, deps.circuit, time)],
      modules,
      jobs,
      uptime: [{ componentType: 'system', observedValue: Math.round(process.uptime()), observedUnit: 's', status: 'pass', time }],
    };
    const all = Object.values(checks).flat();
    const status = worst(all.map((c) => c.status));
    if (!(await deps.details(request))) {
      return sendHealth(reply, status, { description: 'robusto', phase: state.phase, notes: [DETAILS_HIDDEN_NOTE], checks: checksWithoutDetails(checks) });
    }
    const problems = all.filter((c) => c.status !== 'pass' && c.output).map((c) => (c.componentId ? `${c.componentId}: ${c.output}` : c.output));
    return sendHealth(reply, status, {
      version: packageInfo().version,
      description: 'robusto',
      phase: state.phase,
      ...(problems.length ? { output: problems.join('; ') } : {}),
      checks,
    });
  });
}
