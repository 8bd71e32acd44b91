/**
 * The messages between the supervisor and its workers, over the `cluster` IPC channel: the
 * protocol only, which both sides import; sending is theirs.
 */

/** A worker tells the primary it listens and its start-up checks ran. */
export const WORKER_READY = 'robusto:ready';
/** A worker tells the primary why it is about to die (an uncaught exception). */
export const WORKER_FATAL = 'robusto:fatal';
/** A standby worker tells the primary it is built and waits to be promoted (it does not listen yet). */
export const WORKER_STANDBY = 'robusto:standby';
/** The primary tells its standby worker to start listening: it replaces a worker that died. */
export const WORKER_PROMOTE = 'robusto:promote';
/** The `serve` option that starts a worker as the standby. */
export const STANDBY_OPTION = '--standby';
/**
 * The primary tells a worker to stop gracefully and hand its clients over: in a rolling reload,
 * or, with `leaving`, because the whole instance stops (the worker first waits
 * `SHUTDOWN_DELAY_MS` with readiness off, for a load balancer to stop sending).
 */
export const WORKER_RETIRE = 'robusto:retire';

/** A worker asks the supervisor for every worker's metrics, aggregated (for `GET /metrics`). */
export const METRICS_REQUEST = 'robusto:metrics';
/** The supervisor's answer to {@link METRICS_REQUEST}: Prometheus text. */
export const METRICS_RESPONSE = 'robusto:metrics-response';

/** The supervisor asks a worker for its own metrics (prom-client's JSON form). */
export const METRICS_COLLECT = 'robusto:metrics-collect';
/** A worker's answer to {@link METRICS_COLLECT}. */
export const METRICS_PART = 'robusto:metrics-part';

/** The messages between the supervisor and its workers (over the `cluster` IPC channel). */
export type WorkerMessage =
  | { type: typeof METRICS_COLLECT; id: string }
  | { type: typeof METRICS_PART; id: string; metrics: unknown[] }
  | { type: typeof METRICS_REQUEST; id: string }
  | { type: typeof METRICS_RESPONSE; id: string; text: string | undefined }
  | { type: typeof WORKER_READY; address: string }
  | { type: typeof WORKER_STANDBY }
  | { type: typeof WORKER_FATAL; reason: string }
  | { type: typeof WORKER_PROMOTE }
  | { type: typeof WORKER_RETIRE; leaving?: true };
