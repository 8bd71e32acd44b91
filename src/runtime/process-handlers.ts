import { currentRequest, requestsInFlight } from '../http/request-context.js';
import type { Logger } from '../log/create-logger.js';
import { WORKER_FATAL } from '../shared/cluster-messages.js';
import { tellSupervisor } from './tell-supervisor.js';

/**
 * How long requests in flight may still take after an uncaught exception: the process's state
 * is suspect, so they get a short moment to finish (most are unrelated to the fault, and cutting
 * a write that just committed only makes its client retry), then they are cut.
 */
export const FATAL_DRAIN_MS = 2_000;

/**
 * Why the process is stopping, the exit code it should end with, and, when shorter than
 * `SHUTDOWN_TIMEOUT_MS`, how long requests in flight may take to finish.
 */
export type StopReason = { reason: string; exitCode: number; drainMs?: number };

/**
 * Wires the process's signals and last-resort error events to one `stop` function:
 * - SIGTERM/SIGINT → graceful stop, exit 0; a second signal exits at once with 1;
 * - `uncaughtException`/`unhandledRejection` → logged as fatal with the request it came from
 *   (when known: see `enterRequestContext`) and the requests in flight; no new request is taken,
 *   those in flight get {@link FATAL_DRAIN_MS} to finish and are then cut; exit 1 (a supervisor
 *   starts a fresh process).
 *
 * Returns a function that removes the handlers (for tests).
 */
export function installProcessHandlers(log: Logger, stop: (why: StopReason) => void): () => void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'second signal; exiting now without waiting');
      process.exit(1);
    }
    signalled = true;
    stop({ reason: signal, exitCode: 0 });
  };
  const onFatal = (kind: string) => (error: unknown) => {
    log.fatal(
      { err: error, request: currentRequest(), requestsInFlight: requestsInFlight() },
      kind === 'uncaughtException' ? 'uncaught exception; shutting down' : 'unhandled promise rejection; shutting down',
    );
    tellSupervisor({ type: WORKER_FATAL, reason: `${kind}: ${error instanceof Error ? error.message : String(error)}` });
    stop({ reason: kind, exitCode: 1, drainMs: FATAL_DRAIN_MS });
  };
  const onUncaught = onFatal('uncaughtException');
  const onRejection = onFatal('unhandledRejection');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  };
}
