import cluster from 'node:cluster';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { METRICS_COLLECT, METRICS_PART, METRICS_REQUEST, METRICS_RESPONSE, type WorkerMessage } from '../shared/cluster-messages.js';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import type { Journal } from '../resilience/journal/journal.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { HttpServer } from './create-server.js';
import type { DetailsGate } from './health-details.js';
import { RequestDurations } from './request-durations.js';

/** How long a worker waits for the supervisor's aggregated metrics before serving its own. */
export const METRICS_AGGREGATE_TIMEOUT_MS = 3_000;

const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Upper bounds (seconds) of the request-duration histogram's buckets. */
export const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the metrics read: the pool, the journal, the circuit and the jobs. */
export interface MetricsSources {
  db: Database;
  journal: Journal;
  circuit: DatabaseCircuit;
  jobs: Pick<JobRunner, 'counters'>;
}

/**
 * This process's Prometheus registry: request durations by route and status, the pool, the
 * journal, the database circuit, the jobs this process ran, and Node's own (event-loop delay, memory, CPU). Gauges of what
 * the workers share (the journal) aggregate across workers with `max`, the rest with `sum`.
 */
export function createMetricsRegistry(sources: MetricsSources): { registry: Registry; requestDurations: RequestDurations } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requestDurations = new RequestDurations(REQUEST_DURATION_BUCKETS, registry);
  new Gauge({
    name: 'robusto_db_pool_connections',
    help: 'Database pool connections: total, idle, waiting callers, max',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = sources.db.poolStats();
      for (const state of ['total', 'idle', 'waiting', 'max'] as const) this.set({ state }, stats[state]);
    },
  });
  // NB: one read of the journal's figures per scrape sets its three gauges: the first one's
  // collect sets the other two, which the registry reads after it (they are registered after it).
  const journalGauge = (name: string, help: string, collect?: () => void) =>
    new Gauge({ name, help, aggregator: 'max', registers: [registry], ...(collect ? { collect } : {}) });
  let oldestAge: Gauge | undefined;
  let dead: Gauge | undefined;
  const depth = journalGauge('robusto_journal_depth', 'Writes in the journal waiting to be applied', () => {
    const stats = sources.journal.stats();
    depth.set(stats.pending);
    oldestAge?.set(stats.oldestPendingAt ? (Date.now() - Date.parse(stats.oldestPendingAt)) / 1000 : 0);
    dead?.set(stats.dead);
  });
  oldestAge = journalGauge('robusto_journal_oldest_pending_age_seconds', 'Age of the oldest write waiting in the journal (0 when none)');
  dead = journalGauge('robusto_journal_dead_letters', 'Journaled writes that could not be applied');
  new Gauge({
    name: 'robusto_circuit_state',
    help: 'Database circuit breaker: 0 closed, 1 half-open, 2 open',
    aggregator: 'max',
    registers: [registry],
    collect() {
      this.set(CIRCUIT_VALUE[sources.circuit.status]);
    },
  });
  const jobCounter = (name: string, help: string, value: (c: ReturnType<JobRunner['counters']>[number]) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['job'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const job of sources.jobs.counters()) this.inc({ job: job.name }, value(job));
      },
    });
  jobCounter('robusto_job_runs_total', 'Job runs (each retry is a run)', (c) => c.runs);
  jobCounter('robusto_job_failures_total', 'Job runs that failed or timed out', (c) => c.failures);
  new Gauge({
    name: 'robusto_job_last_success_timestamp_seconds',
    help: 'When the job last succeeded (Unix time; 0 if never, in this process)',
    labelNames: ['job'] as const,
    aggregator: 'max',
    registers: [registry],
    collect() {
      for (const job of sources.jobs.counters()) this.set({ job: job.name }, (job.lastSuccessAt ?? 0) / 1000);
    },
  });
  return { registry, requestDurations };
}

/**
 * The metric families a caller without details does not get (see `HEALTH_DETAILS`): the
 * per-route request counts and durations, and the versions.
 */
export const DETAIL_METRIC_FAMILIES: ReadonlySet<string> = new Set(['http_request_duration_seconds', 'nodejs_version_info']);

/**
 * Prometheus text without the {@link DETAIL_METRIC_FAMILIES}: each family starts with its
 * `# HELP` or `# TYPE` line, and everything up to the next family's is dropped with it.
 */
export function withoutDetailMetrics(text: string): string {
  let hidden = false;
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    const family = /^# (?:HELP|TYPE) (\S+)/.exec(line)?.[1];
    if (family !== undefined) hidden = DETAIL_METRIC_FAMILIES.has(family);
    if (!hidden) kept.push(line);
  }
  return kept.join('\n');
}

/** Asks the supervisor for every worker's metrics, aggregated; undefined when it does not answer. */
function metricsFromSupervisor(): Promise<string | undefined> {
  const id = `${process.pid}:${Date.now()}:${Math.random()}`;
  return new Promise((resolve) => {
    const done = (text: string | undefined) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(text);
    };
    const onMessage = (message: WorkerMessage) => {
      if (message?.type === METRICS_RESPONSE && message.id === id) done(message.text);
    };
    const timer = setTimeout(() => done(undefined), METRICS_AGGREGATE_TIMEOUT_MS);
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQUEST, id } satisfies WorkerMessage);
  });
}

/**
 * Registers `GET /metrics` (Prometheus text) and the hook that times every request. In a worker
 * of `robusto start`, the answer covers all workers (and the supervisor's own restart figures):
 * the supervisor gathers them; alone, it is this process's. A caller `details` refuses gets it
 * without the {@link DETAIL_METRIC_FAMILIES}.
 */
export function registerMetrics(app: HttpServer, sources: MetricsSources, details: DetailsGate): void {
  const { registry, requestDurations } = createMetricsRegistry(sources);
  if (cluster.isWorker) {
    // The supervisor gathers every worker's figures for whichever worker was asked.
    process.on('message', (message: WorkerMessage) => {
      if (message?.type !== METRICS_COLLECT) return;
      void registry
        .getMetricsAsJSON()
        .then((metrics) => process.connected && process.send?.({ type: METRICS_PART, id: message.id, metrics } satisfies WorkerMessage));
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route && route !== '/metrics') requestDurations.observe(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get('/metrics', { schema: { hide: true }, config: { public: true } }, async (request, reply) => {
    const aggregated = cluster.isWorker && process.connected ? await metricsFromSupervisor() : undefined;
    const text = aggregated ?? (await registry.metrics());
    return reply
      .type(registry.contentType)
      .header('cache-control', 'no-store')
      .send((await details(request)) ? text : withoutDetailMetrics(text));
  });
}
