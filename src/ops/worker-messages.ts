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
/** The primary tells a worker to stop gracefully and hand its clients over (a rolling reload). */
export const WORKER_RETIRE = 'robusto:retire';

/** The messages between the supervisor and its workers (over the `cluster` IPC channel). */
export type WorkerMessage =
  | { type: typeof WORKER_READY; address: string }
  | { type: typeof WORKER_STANDBY }
  | { type: typeof WORKER_FATAL; reason: string }
  | { type: typeof WORKER_PROMOTE }
  | { type: typeof WORKER_RETIRE };

/** Sends `message` to the supervisor, if this process is a worker of one. */
export function tellSupervisor(message: WorkerMessage): void {
  if (process.send && process.connected) process.send(message);
}
