import cluster from 'node:cluster';
import net from 'node:net';
import { buildApp, type RobustoApp } from '../app.js';
import { markReady, type AppState } from '../http/app-state.js';
import type { Database } from '../db/database.js';
import { sleep } from '../shared/sleep.js';
import type { Config } from '../config/config.js';
import { packageInfo } from '../config/package-info.js';
import { createDb } from '../db/create-db.js';
import { flushLogger, type Logger } from '../log/create-logger.js';
import type { ModuleSource } from '../modules/module.js';
import { withTimeout } from '../shared/with-timeout.js';
import { startAlertWatch } from '../ops/alert-watch.js';
import { watchDatabase, type DatabaseWatch } from '../ops/database-watch.js';
import { checkNodeVersion } from '../ops/doctor/check-packages.js';
import { keepDataDirPrivate } from '../ops/private-files.js';
import { checkDataDir, checkModules } from '../ops/doctor/checks.js';
import type { DoctorCheck } from '../ops/doctor/doctor-check.js';
import { listenWithRetry, PortBusyError } from '../ops/listen.js';
import { installProcessHandlers, type StopReason } from './process-handlers.js';
import { WORKER_PROMOTE, WORKER_READY, WORKER_RETIRE, WORKER_STANDBY, type WorkerMessage } from '../shared/cluster-messages.js';
import { tellSupervisor } from './tell-supervisor.js';

/** How long start-up waits for the database before listening anyway and retrying in the background. */
export const STARTUP_DATABASE_WAIT_MS = 2_000;

/** At the deadline, how long closing the pool may still take before the process exits anyway. */
export const POOL_CLOSE_MIN_WAIT_MS = 500;

/**
 * In a rolling reload, how long a retiring worker keeps serving its open connections (each
 * response telling the client to reconnect) before the usual drain closes what is left.
 */
export const HANDOVER_MAX_MS = 3_000;

/** How often, while draining, sockets that have become idle are closed. */
export const IDLE_SWEEP_INTERVAL_MS = 100;

/** What {@link serve} needs. */
export interface ServeOptions {
  config: Readonly<Config>;
  log: Logger;
  /** Start as the supervisor's standby: build and migrate, then wait to be promoted before listening. */
  standby?: boolean;
  /** Modules to load instead of the default ones (tests). */
  modules?: ModuleSource[];
}

function logChecks(log: Logger, checks: DoctorCheck[]): void {
  for (const check of checks) {
    if (check.ok) log.info({ check: check.name, detail: check.detail }, 'pre-flight check passed');
    else log.warn({ check: check.name, detail: check.detail, fix: check.fix }, 'pre-flight check failed');
  }
}

/** The stop reason of a worker retired by a rolling reload. */
const RELOAD_REASON = 'reload';
/** The stop reason of a worker retired because its supervisor stops (SIGTERM). */
const SUPERVISOR_STOP_REASON = 'supervisor stopping';

/**
 * A stopping instance's first step, before it stops taking connections: `/health/ready` answers
 * 503 for `delayMs` while every request is still served (with `Connection: close`), so a load
 * balancer checking readiness marks it down and stops sending before any connection is refused.
 * Only a serving process waits: one still starting has no traffic to lose.
 */
export async function leaveService(state: AppState, delayMs: number, log: Logger): Promise<void> {
  if (delayMs === 0 || state.phase !== 'ready') return;
  state.phase = 'leaving';
  log.info({ delayMs }, 'leaving: readiness off, still serving until the load balancer stops sending');
  await sleep(delayMs);
}

/**
 * A retiring worker's first step: stop taking new connections (the supervisor's other workers
 * get them) without closing the idle ones, and serve the open ones a little longer with
 * `Connection: close`, until their clients have moved or {@link HANDOVER_MAX_MS} has passed.
 * NB: closing an idle keep-alive connection races with a client that is sending on it right
 * then; letting the client close it after a response cannot fail a request.
 */
async function handOver(app: RobustoApp): Promise<void> {
  app.state.phase = 'handing-over';
  const server = app.http.server;
  // net's close, not http's: http's also closes idle connections at once.
  net.Server.prototype.close.call(server);
  const until = Date.now() + HANDOVER_MAX_MS;
  while (Date.now() < until) {
    const open = await new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
    if (open === 0) return;
    await sleep(50);
  }
}

async function migrateIfReachable(app: RobustoApp): Promise<boolean> {
  try {
    await withTimeout(app.db.ping(), STARTUP_DATABASE_WAIT_MS, 'the database');
    return await app.migrate();
  } catch {
    return false;
  }
}

/**
 * Runs one robusto HTTP server until it is told to stop. The start is defensive: pre-flight
 * checks are logged, not fatal; a busy port is waited for; an unreachable database does not
 * stop the server from listening (it answers 503 on `/health` and migrates once the database
 * answers). The stop is graceful: readiness goes 503 (while requests are still served for
 * `SHUTDOWN_DELAY_MS`, for a load balancer to stop sending), in-flight requests finish (up to
 * `SHUTDOWN_TIMEOUT_MS`), the pool closes, logs are flushed, then the process exits.
 */
// eslint-disable-next-line max-lines-per-function -- start-up and the stop sequence it arms share the app, its watchers and the exit code: one piece that reads in order
export async function serve(options: ServeOptions): Promise<void> {
  const { config, log } = options;
  logChecks(log, [checkNodeVersion(), checkDataDir(config)]);
  keepDataDirPrivate(config.paths.dataDir);

  // Until the app exists, a crash (a module that throws right after its import) is logged as
  // fatal, reported to the supervisor, and ends the process with 1.
  const removeEarlyHandlers = installProcessHandlers(log, ({ exitCode }) => void flushLogger(log).then(() => process.exit(exitCode)));
  let db: Database;
  let app: RobustoApp;
  try {
    db = createDb(config, log);
    app = await buildApp({ config, log, db, ...(options.modules ? { modules: options.modules } : {}) });
  } catch (error) {
    // Nothing is listening yet: say what failed and how to look into it, then stop.
    log.fatal(
      { err: error, dataDir: config.paths.dataDir, engine: config.engine },
      'cannot open the database or build the app; run "robusto doctor" for the checks and their fixes',
    );
    await flushLogger(log);
    process.exit(1);
  }
  logChecks(log, checkModules(app.registry));

  let watch: DatabaseWatch | undefined;
  let stopAlertWatch: (() => void) | undefined;
  let stopping: Promise<void> | undefined;
  let finalExitCode = 0;
  const stop = ({ reason, exitCode, drainMs }: StopReason): void => {
    // A later, worse reason (an uncaught exception during the drain) raises the exit code.
    finalExitCode = Math.max(finalExitCode, exitCode);
    stopping ??= (async () => {
      // Leaving the service (a signal, the supervisor stopping or gone), not a reload's handover
      // nor a fatal error's short drain: the load balancer learns first.
      if (reason !== RELOAD_REASON && drainMs === undefined) await leaveService(app.state, config.shutdownDelayMs, log);
      // NB: a worker retired by its supervisor never answers 503: in a reload the other workers
      // take new connections, and a request still reaching this one is served (with Connection: close).
      if (reason === RELOAD_REASON || reason === SUPERVISOR_STOP_REASON) await handOver(app);
      else app.state.phase = 'draining';
      const timeoutMs = Math.min(config.shutdownTimeoutMs, drainMs ?? Number.POSITIVE_INFINITY);
      log.info({ reason, timeoutMs }, 'shutting down: finishing in-flight requests');
      watch?.stop();
      stopAlertWatch?.();
      app.circuit.stop();
      const replaying = app.replayer.stop();
      // Running jobs are aborted and get a moment to stop, while the requests drain.
      const jobsStopping = app.jobs.stop();
      const deadlineAt = Date.now() + timeoutMs;
      const deadline = setTimeout(() => {
        finalExitCode = 1;
        log.error({ timeoutMs }, 'shutdown deadline passed; cutting the remaining connections');
        app.http.server.closeAllConnections();
      }, timeoutMs);
      // Sockets that turn idle during the drain are closed as they do, not at their keep-alive timeout.
      const idleSweep = setInterval(() => app.http.server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
      try {
        await app.http.close();
        await jobsStopping;
        // A replay stuck on a stalled database must not hold the exit past the deadline either;
        // what it did not finish stays pending in the journal for the next start.
        await Promise.race([replaying, sleep(Math.max(deadlineAt - Date.now(), POOL_CLOSE_MIN_WAIT_MS))]);
        app.journal.close();
        // NB: closing the pool waits for every checked-out connection; one stuck on a stalled
        // database must not hold the exit past the deadline.
        const closed = await Promise.race([db.close().then(() => true), sleep(Math.max(deadlineAt - Date.now(), POOL_CLOSE_MIN_WAIT_MS)).then(() => false)]);
        if (!closed) {
          finalExitCode = 1;
          log.error('database connections did not close before the deadline; exiting without them');
        }
      } catch (error) {
        log.error({ err: error }, 'error while shutting down');
        finalExitCode = 1;
      } finally {
        clearTimeout(deadline);
        clearInterval(idleSweep);
      }
      log.info({ reason, exitCode: finalExitCode }, 'stopped');
      await flushLogger(log);
      process.exit(finalExitCode);
    })();
  };
  removeEarlyHandlers();
  installProcessHandlers(log, stop);
  if (cluster.isWorker) {
    process.on('message', (message: WorkerMessage) => {
      if (message?.type === WORKER_RETIRE) stop({ reason: message.leaving ? SUPERVISOR_STOP_REASON : RELOAD_REASON, exitCode: 0 });
    });
    // The supervisor is gone (killed): a worker without it stops rather than run unsupervised,
    // after finishing the requests it has.
    // NB: Node's cluster module has its own handler that exits a worker at once when its primary
    // disconnects unexpectedly, which would cut those requests; it is replaced by this one.
    process.removeAllListeners('disconnect');
    process.on('disconnect', () => stop({ reason: 'supervisor gone', exitCode: 0 }));
    // NB: a supervisor killed while this worker was still building its app disconnected before
    // the listener above existed; without this check the worker (a standby waits for ever) would
    // be left running unsupervised.
    if (!process.connected) stop({ reason: 'supervisor gone', exitCode: 0 });
  }

  const migrated = await migrateIfReachable(app);
  if (stopping) return;
  if (options.standby) {
    // The supervisor's standby: built and migrated, it listens only once told to, replacing a
    // worker that died without the seconds a cold start takes.
    await new Promise<void>((resolve) => {
      process.on('message', (message: WorkerMessage) => message?.type === WORKER_PROMOTE && resolve());
      tellSupervisor({ type: WORKER_STANDBY });
    });
    if (stopping) return;
  }
  try {
    const address = await listenWithRetry(app.http, { port: config.port, host: config.host, waitMs: config.portWaitMs, log });
    if (stopping) return;
    markReady(app.state);
    log.info({ address, engine: db.engine, version: packageInfo().version, pid: process.pid }, 'robusto is listening');
    tellSupervisor({ type: WORKER_READY, address });
  } catch (error) {
    // A stop requested while waiting for the port closed the app; that stop decides the exit.
    if (stopping) return;
    if (error instanceof PortBusyError) log.fatal({ port: config.port, host: config.host }, error.message);
    else log.fatal({ err: error }, 'cannot listen');
    await db.close().catch(() => undefined);
    await flushLogger(log);
    process.exit(1);
  }
  if (!migrated) {
    watch = watchDatabase(db, log, () => app.migrate());
    // The replayer's probes close the circuit as soon as the database answers: migrate then.
    app.circuit.onClose(() => watch?.poke());
  }
  stopAlertWatch = startAlertWatch({ db, journal: app.journal, alerter: app.alerter, log });
  app.replayer.start();
  app.jobs.start();
}
