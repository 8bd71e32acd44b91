import { buildApp, type RobustoApp } from '../app.js';
import type { Config } from '../config/config.js';
import { packageInfo } from '../config/package-info.js';
import { createDb } from '../db/create-db.js';
import { flushLogger, type Logger } from '../log/create-logger.js';
import type { ModuleSource } from '../modules/module.js';
import { withTimeout } from '../shared/with-timeout.js';
import { watchDatabase, type DatabaseWatch } from './database-watch.js';
import { checkNodeVersion } from './doctor/check-packages.js';
import { checkDataDir, checkModules } from './doctor/checks.js';
import type { DoctorCheck } from './doctor/doctor-check.js';
import { listenWithRetry, PortBusyError } from './listen.js';
import { installProcessHandlers, type StopReason } from './process-handlers.js';

/** How long start-up waits for the database before listening anyway and retrying in the background. */
export const STARTUP_DATABASE_WAIT_MS = 2_000;

/** How often, while draining, sockets that have become idle are closed. */
export const IDLE_SWEEP_INTERVAL_MS = 100;

/** What {@link serve} needs. */
export interface ServeOptions {
  config: Readonly<Config>;
  log: Logger;
  /** Modules to load instead of the default ones (tests). */
  modules?: ModuleSource[];
}

function logChecks(log: Logger, checks: DoctorCheck[]): void {
  for (const check of checks) {
    if (check.ok) log.info({ check: check.name, detail: check.detail }, 'pre-flight check passed');
    else log.warn({ check: check.name, detail: check.detail, fix: check.fix }, 'pre-flight check failed');
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
 * answers). The stop is graceful: readiness goes 503, in-flight requests finish (up to
 * `SHUTDOWN_TIMEOUT_MS`), the pool closes, logs are flushed, then the process exits.
 */
export async function serve(options: ServeOptions): Promise<void> {
  const { config, log } = options;
  logChecks(log, [checkNodeVersion(), checkDataDir(config)]);

  const db = createDb(config, log);
  const app = await buildApp({ config, log, db, ...(options.modules ? { modules: options.modules } : {}) });
  logChecks(log, checkModules(app.registry));

  let watch: DatabaseWatch | undefined;
  let stopping: Promise<void> | undefined;
  const stop = ({ reason, exitCode }: StopReason): void => {
    stopping ??= (async () => {
      app.state.phase = 'draining';
      log.info({ reason, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: finishing in-flight requests');
      watch?.stop();
      let forced = false;
      const deadline = setTimeout(() => {
        forced = true;
        log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline passed; cutting the remaining connections');
        app.http.server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      // Sockets that turn idle during the drain are closed as they do, not at their keep-alive timeout.
      const idleSweep = setInterval(() => app.http.server.closeIdleConnections(), IDLE_SWEEP_INTERVAL_MS);
      try {
        await app.http.close();
        await db.close();
      } catch (error) {
        log.error({ err: error }, 'error while shutting down');
        exitCode = 1;
      } finally {
        clearTimeout(deadline);
        clearInterval(idleSweep);
      }
      const code = forced ? 1 : exitCode;
      log.info({ reason, exitCode: code }, 'stopped');
      await flushLogger(log);
      process.exit(code);
    })();
  };
  installProcessHandlers(log, stop);

  const migrated = await migrateIfReachable(app);
  try {
    const address = await listenWithRetry(app.http, { port: config.port, host: config.host, waitMs: config.portWaitMs, log });
    app.state.phase = 'ready';
    log.info({ address, engine: db.engine, version: packageInfo().version, pid: process.pid }, 'robusto is listening');
  } catch (error) {
    if (error instanceof PortBusyError) log.fatal({ port: config.port, host: config.host }, error.message);
    else log.fatal({ err: error }, 'cannot listen');
    await db.close().catch(() => undefined);
    await flushLogger(log);
    process.exit(1);
  }
  if (!migrated) watch = watchDatabase(db, log, () => app.migrate());
}
