import type { Config } from '../../config/config.js';
import { flushLogger, type Logger } from '../../log/create-logger.js';
import { WORKER_PROMOTE, type WorkerMessage } from '../../shared/cluster-messages.js';
import { Alerter } from '../alerts.js';
import { removeSupervisorFiles, runningSupervisorPid, writeLaunchFile, writePidFile, writeStatusFile, type SupervisorStatus } from '../supervisor-files.js';
import { claimDataDir } from '../supervisor-lock.js';
import { CRASH_LOOP_WINDOW_MS, CrashPolicy, HEALTHY_UPTIME_MS } from './crash-policy.js';
import { gatherClusterMetrics } from './metrics-gather.js';
import { rollingReload } from './rolling-reload.js';
import { WorkerPool, type Slot } from './worker-pool.js';

/** What {@link supervise} needs. */
export interface SuperviseOptions {
  config: Readonly<Config>;
  log: Logger;
  /** Arguments a worker process runs with (`serve`). */
  workerArgs: string[];
}

/**
 * The primary process of `robusto start`: runs `WORKERS` server processes on Node's `cluster`
 * (they share the port), and keeps them running.
 *
 * - A worker counts as ready once it listens and its start-up checks ran (it says so).
 * - A standby worker is kept built but not listening: a worker that dies is replaced by it at
 *   once (a cold start takes seconds), and a new standby follows. Without a standby ready, a
 *   worker that dies is replaced after a backoff (100 ms, doubling, at most 15 s; reset by 30 s
 *   of healthy uptime); the new standby always waits that backoff. 5 crashes within a minute is a crash loop, logged as fatal (critical) and alerted;
 *   restarts go on at the longest wait: it never gives up silently.
 * - SIGHUP (`robusto reload`): a rolling reload, one worker at a time: a new one is started, and
 *   only once it is ready is the old one stopped gracefully; it finishes its requests first.
 * - SIGTERM/SIGINT: every worker stops gracefully (readiness off for `SHUTDOWN_DELAY_MS` first,
 *   still serving), then the primary exits 0.
 *
 * Its pid, how it was started (its folder and robusto's variables: the operations commands read
 * its settings from there, not from their own shell) and a status file (address, workers,
 * restarts, last crash) are kept in `DATA_DIR` for `robusto status`, `reload`, `restart` and
 * `doctor`, and removed on every way out. Only one supervisor serves a `DATA_DIR`: a second one
 * says which pid serves it and exits 1, touching nothing.
 */
export async function supervise(options: SuperviseOptions): Promise<void> {
  const { config, log } = options;
  // One supervisor per DATA_DIR: a second one would take over the pid and status files and
  // restart workers on a busy port forever. It leaves every file as it found it.
  const claim = claimDataDir(config.paths.dataDir);
  if (!claim) {
    const pid = runningSupervisorPid(config.paths.dataDir);
    log.error({ dataDir: config.paths.dataDir, supervisorPid: pid ?? null }, 'another robusto supervisor already serves this DATA_DIR; not starting');
    process.stderr.write(
      `✗ robusto already runs for ${config.paths.dataDir}${pid ? ` (supervisor pid ${pid})` : ''}: see it with "robusto status", stop it (SIGTERM) before starting again, or give this one another DATA_DIR\n`,
    );
    await flushLogger(log);
    process.exitCode = 1;
    return;
  }
  // On every way out (a signal's stop, a second signal, a crash of the supervisor itself), no
  // file is left saying it runs. Only SIGKILL skips this: the next start sees a dead pid.
  process.on('exit', () => removeSupervisorFiles(config.paths.dataDir));
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'supervisor crashed; its workers stop once it is gone');
    void flushLogger(log).finally(() => process.exit(1));
  });
  const crashes = new CrashPolicy();
  let restarts = 0;
  let reloads = 0;
  let lastCrash: SupervisorStatus['lastCrash'] = null;
  let crashLoop = false;
  let reloadQueue = Promise.resolve();
  let reloadsQueued = 0;
  const startedAt = new Date().toISOString();
  const alerter = new Alerter(config.alertWebhookUrl, log);

  const status = (): SupervisorStatus => ({
    pid: process.pid,
    startedAt,
    updatedAt: new Date().toISOString(),
    state: pool.stopping ? 'stopping' : reloadsQueued > 0 ? 'reloading' : 'running',
    address: `http://${config.host}:${config.port}`,
    engine: config.engine,
    workersWanted: config.workers,
    workers: pool.statuses(),
    restarts,
    reloads,
    lastCrash,
    crashLoop,
  });
  const saveStatus = (): void => writeStatusFile(config.paths.dataDir, status(), log);

  /**
   * A crash loop ends once the serving workers have stayed up for a while: looked at
   * {@link HEALTHY_UPTIME_MS} after a worker (a new one, or the promoted standby) became ready.
   */
  const endCrashLoopIfStable = (): void => {
    setTimeout(() => {
      const serving = pool.serving();
      if (crashLoop && serving.length > 0 && serving.every((s) => s.ready && Date.now() - s.startedAt >= HEALTHY_UPTIME_MS)) {
        crashLoop = false;
        alerter.resolve('crash_loop', 'crash loop over: workers stay up again');
        saveStatus();
      }
    }, HEALTHY_UPTIME_MS + 100).unref();
  };

  /** A worker died: its standby takes over at once if one stands by, else a new one starts after the backoff. */
  const replace = (slot: Slot, code: number | null, signal: string | null): void => {
    const pid = slot.worker.process.pid;
    if (slot.retiring || pool.stopping) {
      log.info({ worker: slot.worker.id, workerPid: pid, code, signal }, 'worker stopped');
      saveStatus();
      return;
    }
    const now = Date.now();
    const reason = slot.fatal ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    lastCrash = { at: new Date(now).toISOString(), pid: pid ?? null, reason };
    const { delayMs, inARow: consecutiveCrashes, recent, loop } = crashes.crashed(now, now - slot.startedAt);
    if (loop && !crashLoop) {
      crashLoop = true;
      alerter.raise('crash_loop', 'crash loop: workers keep dying; restarts continue, at most every 15 s', {
        crashes: recent,
        windowMs: CRASH_LOOP_WINDOW_MS,
        reason,
        delayMs,
      });
    }
    const standby = pool.spare;
    if (!slot.standby && standby?.standing && !standby.retiring) {
      // The standby takes over at once; a new standby follows after the backoff.
      pool.spare = undefined;
      standby.standby = false;
      standby.startedAt = now;
      restarts++;
      metrics.restarted();
      standby.worker.send({ type: WORKER_PROMOTE } satisfies WorkerMessage);
      log.error(
        { worker: slot.worker.id, workerPid: pid, reason, standby: standby.worker.id, delayMs, consecutiveCrashes },
        'worker died; the standby worker takes over',
      );
      saveStatus();
      setTimeout(() => pool.startSpare(), delayMs);
      return;
    }
    log.error({ worker: slot.worker.id, workerPid: pid, reason, delayMs, consecutiveCrashes }, 'worker died; starting a new one after a delay');
    saveStatus();
    if (slot.standby) {
      setTimeout(() => pool.startSpare(), delayMs);
      return;
    }
    setTimeout(() => {
      const fresh = pool.fork();
      if (!fresh) return;
      restarts++;
      metrics.restarted();
      void fresh.ready.then((ok) => ok && pool.startSpare());
    }, delayMs);
  };

  const pool: WorkerPool = new WorkerPool({
    workerArgs: options.workerArgs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    shutdownDelayMs: config.shutdownDelayMs,
    log,
    changed: saveStatus,
    ready: () => {
      if (crashLoop) endCrashLoopIfStable();
    },
    exited: replace,
  });
  const metrics = gatherClusterMetrics(pool, () => crashLoop, log);

  const stop = async (signal: string): Promise<void> => {
    if (pool.stopping) {
      log.warn({ signal }, 'second signal; stopping workers now');
      for (const slot of pool.slots) slot.worker.process.kill('SIGKILL');
      process.exit(1);
    }
    pool.stopping = true;
    log.info({ signal, workers: pool.slots.size }, 'stopping: every worker finishes its requests');
    saveStatus();
    await Promise.all([...pool.slots].map((slot) => pool.retire(slot, { leaving: true })));
    removeSupervisorFiles(config.paths.dataDir);
    claim.release();
    log.info('stopped');
    await flushLogger(log);
    process.exit(0);
  };

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (pool.stopping) return;
    // A reload asked for during another one follows it.
    reloadsQueued++;
    reloadQueue = reloadQueue
      .then(() => {
        reloads++;
        return rollingReload(pool, log);
      })
      .finally(() => {
        reloadsQueued--;
        saveStatus();
      });
    saveStatus();
  });

  writePidFile(config.paths.dataDir);
  writeLaunchFile(config.paths.dataDir);
  log.info({ workers: config.workers, engine: config.engine }, 'robusto supervisor starting workers');
  // The first worker alone first: on a first start it migrates and creates the owner account,
  // which the others must not race for.
  // A signal may come at any moment of this: a stopping pool forks nothing more.
  await pool.fork()?.ready;
  await Promise.all(Array.from({ length: config.workers - 1 }, () => pool.fork()?.ready ?? Promise.resolve(false)));
  // A standby only once a worker came up: while they crash at start, it would crash too.
  if ([...pool.slots].some((s) => s.ready)) pool.startSpare();
  saveStatus();
}
