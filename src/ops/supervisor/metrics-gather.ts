import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../../log/create-logger.js';
import { METRICS_COLLECT, METRICS_PART, METRICS_REQUEST, METRICS_RESPONSE, type WorkerMessage } from '../../shared/cluster-messages.js';
import type { WorkerPool } from './worker-pool.js';

/** How long the supervisor waits for its workers' metrics (a worker waits a little longer for the total). */
export const METRICS_GATHER_TIMEOUT_MS = 2_000;

/** The supervisor's own figures, and the gathering of every worker's for `GET /metrics`. */
export interface SupervisorMetrics {
  /** Counts a worker started to replace one that died. */
  restarted(): void;
  /** Every serving (or standing-by) worker's metrics, summed, plus the supervisor's own; undefined if they cannot be summed. */
  gather(): Promise<string | undefined>;
}

/**
 * Serves metrics across the cluster: a worker asked for `/metrics` asks the supervisor, which
 * asks every worker for its own (prom-client's JSON form), sums them and answers with its own
 * figures added (`robusto_worker_restarts_total`, `robusto_workers_ready`, `robusto_crash_loop`).
 */
export function gatherClusterMetrics(pool: WorkerPool, crashLoop: () => boolean, log: Logger): SupervisorMetrics {
  const registry = new Registry();
  const restartsTotal = new Counter({ name: 'robusto_worker_restarts_total', help: 'Workers started to replace one that died', registers: [registry] });
  new Gauge({
    name: 'robusto_workers_ready',
    help: 'Workers serving requests',
    registers: [registry],
    collect() {
      this.set([...pool.slots].filter((s) => s.ready && !s.retiring).length);
    },
  });
  new Gauge({
    name: 'robusto_crash_loop',
    help: '1 while workers keep dying (5 crashes within a minute)',
    registers: [registry],
    collect() {
      this.set(crashLoop() ? 1 : 0);
    },
  });
  const gatherings = new Map<string, { parts: unknown[]; waiting: number; done: () => void }>();
  const gather = async (): Promise<string | undefined> => {
    const asked = [...pool.slots].filter((s) => (s.ready || s.standing) && s.worker.isConnected());
    const id = String(Math.random());
    const parts: unknown[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, METRICS_GATHER_TIMEOUT_MS);
      gatherings.set(id, {
        parts,
        waiting: asked.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      for (const slot of asked) slot.worker.send({ type: METRICS_COLLECT, id } satisfies WorkerMessage);
      if (asked.length === 0) resolve();
    });
    gatherings.delete(id);
    try {
      return `${await AggregatorRegistry.aggregate(parts as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics()}\n${await registry.metrics()}`;
    } catch (error) {
      log.warn({ err: error }, "cannot gather the workers' metrics");
      return undefined;
    }
  };
  cluster.on('message', (worker, message: WorkerMessage) => {
    if (message?.type === METRICS_PART) {
      const gathering = gatherings.get(message.id);
      if (!gathering) return;
      gathering.parts.push(message.metrics);
      if (--gathering.waiting === 0) gathering.done();
    } else if (message?.type === METRICS_REQUEST) {
      void gather().then((text) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: message.id, text } satisfies WorkerMessage));
    }
  });
  return { restarted: () => restartsTotal.inc(), gather };
}
