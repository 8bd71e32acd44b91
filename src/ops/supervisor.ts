import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config/config.js';
import { flushLogger, type Logger } from '../log/create-logger.js';
import { Alerter } from './alerts.js';
import { sleep } from '../shared/sleep.js';
import { claimDataDir } from './supervisor-lock.js';
import { crashesInARow, HEALTHY_UPTIME_MS, restartDelayMs } from './restart-backoff.js';
import { removeSupervisorFiles, runningSupervisorPid, writePidFile, writeStatusFile, type SupervisorStatus, type WorkerStatus } from './supervisor-files.js';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { METRICS_COLLECT, METRICS_PART, METRICS_REQUEST, METRICS_RESPONSE, STANDBY_OPTION, WORKER_FATAL, WORKER_PROMOTE, WORKER_READY, WORKER_RETIRE, WORKER_STANDBY, type WorkerMessage } from '../shared/cluster-messages.js';

export { HEALTHY_UPTIME_MS, RESTART_INITIAL_MS, RESTART_MAX_MS } from './restart-backoff.js';
/** This many crashes within {@link CRASH_LOOP_WINDOW_MS} is a crash loop: logged as critical. */
export const CRASH_LOOP_CRASHES = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;
/** How long the supervisor waits for its workers' metrics (a worker waits a little longer for the total). */
export const METRICS_GATHER_TIMEOUT_MS = 2_000;
/** How long a new worker may take to listen and pass its start-up checks. */
export const WORKER_READY_TIMEOUT_MS = 60_000;

interface Slot {
  worker: Worker;
  startedAt: number;
  ready: boolean;
  /** The standby: built, not listening; `standing` once it waits to be promoted. */
  standby: boolean;
  standing: boolean;
  /** Being stopped on purpose (reload, shutdown): its exit is not a crash. */
  retiring: boolean;
  /** The fatal error the worker reported before dying, if any. */
  fatal?: string;
}

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
 * - SIGTERM/SIGINT: every worker stops gracefully, then the primary exits 0.
 *
 * Its pid and a status file (workers, restarts, last crash) are kept in `DATA_DIR` for
 * `robusto status` and `robusto reload`. Only one supervisor serves a `DATA_DIR`: a second one
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
  const slots = new Set<Slot>();
  const crashes: number[] = [];
  let consecutiveCrashes = 0;
  let restarts = 0;
  let reloads = 0;
  let lastCrash: SupervisorStatus['lastCrash'] = null;
  let crashLoop = false;
  let stopping = false;
  let stopped = false;
  let reloadQueue = Promise.resolve();
  let reloadsQueued = 0;
  let spare: Slot | undefined;
  const startedAt = new Date().toISOString();
  const alerter = new Alerter(config.alertWebhookUrl, log);

  // The supervisor's own figures, served with the workers' through any worker's /metrics.
  const metrics = new Registry();
  const restartsTotal = new Counter({ name: 'robusto_worker_restarts_total', help: 'Workers started to replace one that died', registers: [metrics] });
  new Gauge({
    name: 'robusto_workers_ready',
    help: 'Workers serving requests',
    registers: [metrics],
    collect() {
      this.set([...slots].filter((s) => s.ready && !s.retiring).length);
    },
  });
  new Gauge({
    name: 'robusto_crash_loop',
    help: '1 while workers keep dying (5 crashes within a minute)',
    registers: [metrics],
    collect() {
      this.set(crashLoop ? 1 : 0);
    },
  });
  const gatherings = new Map<string, { parts: unknown[]; waiting: number; done: () => void }>();
  cluster.on('message', (worker, message: WorkerMessage) => {
    if (message?.type === METRICS_PART) {
      const gathering = gatherings.get(message.id);
      if (!gathering) return;
      gathering.parts.push(message.metrics);
      if (--gathering.waiting === 0) gathering.done();
    } else if (message?.type === METRICS_REQUEST) {
      void gatherMetrics().then((text) => worker.isConnected() && worker.send({ type: METRICS_RESPONSE, id: message.id, text } satisfies WorkerMessage));
    }
  });
  /** Every serving (or standing-by) worker's metrics, summed, plus the supervisor's own. */
  const gatherMetrics = async (): Promise<string | undefined> => {
    const asked = [...slots].filter((s) => (s.ready || s.standing) && s.worker.isConnected());
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
      return `${await AggregatorRegistry.aggregate(parts as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics()}\n${await metrics.metrics()}`;
    } catch (error) {
      log.warn({ err: error }, "cannot gather the workers' metrics");
      return undefined;
    }
  };


  const status = (): SupervisorStatus => ({
    pid: process.pid,
    startedAt,
    updatedAt: new Date().toISOString(),
    state: stopped ? 'stopped' : stopping ? 'stopping' : reloadsQueued > 0 ? 'reloading' : 'running',
    workersWanted: config.workers,
    workers: [...slots].map(
      (s): WorkerStatus => ({ id: s.worker.id, pid: s.worker.process.pid ?? null, startedAt: new Date(s.startedAt).toISOString(), state: s.retiring ? 'stopping' : s.ready ? 'ready' : s.standing ? 'standby' : 'starting' }),
    ),
    restarts,
    reloads,
    lastCrash,
    crashLoop,
  });
  const saveStatus = (): void => writeStatusFile(config.paths.dataDir, status(), log);

  /** Starts one worker (or the standby); resolves true once it is ready (or standing by), false if it died or timed out first. */
  const fork = (standby = false): { slot: Slot; ready: Promise<boolean> } => {
    // Settings apply to the next fork: the standby gets its option.
    cluster.setupPrimary({ exec: process.argv[1] as string, args: standby ? [...options.workerArgs, STANDBY_OPTION] : options.workerArgs });
    const worker = cluster.fork();
    const slot: Slot = { worker, startedAt: Date.now(), ready: false, standby, standing: false, retiring: false };
    slots.add(slot);
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        log.error({ worker: worker.id, workerPid: worker.process.pid, timeoutMs: WORKER_READY_TIMEOUT_MS }, 'worker did not become ready in time; stopping it');
        worker.process.kill('SIGKILL');
        resolve(false);
      }, WORKER_READY_TIMEOUT_MS);
      worker.on('message', (message: WorkerMessage) => {
        if (message?.type === WORKER_READY) {
          clearTimeout(timer);
          slot.ready = true;
          log.info({ worker: worker.id, workerPid: worker.process.pid, address: message.address }, 'worker ready');
          saveStatus();
          if (crashLoop) endCrashLoopIfStable();
          resolve(true);
        } else if (message?.type === WORKER_STANDBY) {
          clearTimeout(timer);
          slot.standing = true;
          log.info({ worker: worker.id, workerPid: worker.process.pid }, 'standby worker ready');
          saveStatus();
          resolve(true);
        } else if (message?.type === WORKER_FATAL) {
          slot.fatal = message.reason;
        }
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    worker.once('exit', (code, signal) => onExit(slot, code, signal));
    saveStatus();
    return { slot, ready };
  };

  const onExit = (slot: Slot, code: number | null, signal: string | null): void => {
    slots.delete(slot);
    const pid = slot.worker.process.pid;
    if (slot.retiring || stopping) {
      log.info({ worker: slot.worker.id, workerPid: pid, code, signal }, 'worker stopped');
      saveStatus();
      return;
    }
    const now = Date.now();
    const reason = slot.fatal ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    lastCrash = { at: new Date(now).toISOString(), pid: pid ?? null, reason };
    consecutiveCrashes = crashesInARow(consecutiveCrashes, now - slot.startedAt);
    crashes.push(now);
    while (crashes.length > 0 && (crashes[0] as number) < now - CRASH_LOOP_WINDOW_MS) crashes.shift();
    const delayMs = restartDelayMs(consecutiveCrashes);
    if (crashes.length >= CRASH_LOOP_CRASHES && !crashLoop) {
      crashLoop = true;
      alerter.raise('crash_loop', 'crash loop: workers keep dying; restarts continue, at most every 15 s', { crashes: crashes.length, windowMs: CRASH_LOOP_WINDOW_MS, reason, delayMs });
    }
    if (slot === spare) spare = undefined;
    const standby = spare;
    if (!slot.standby && standby?.standing && !standby.retiring) {
      // The standby takes over at once; a new standby follows after the backoff.
      spare = undefined;
      standby.standby = false;
      standby.startedAt = now;
      restarts++;
      restartsTotal.inc();
      standby.worker.send({ type: WORKER_PROMOTE } satisfies WorkerMessage);
      log.error({ worker: slot.worker.id, workerPid: pid, reason, standby: standby.worker.id, delayMs, consecutiveCrashes }, 'worker died; the standby worker takes over');
      saveStatus();
      setTimeout(startSpare, delayMs);
      return;
    }
    log.error({ worker: slot.worker.id, workerPid: pid, reason, delayMs, consecutiveCrashes }, 'worker died; starting a new one after a delay');
    saveStatus();
    if (slot.standby) {
      setTimeout(startSpare, delayMs);
      return;
    }
    setTimeout(() => {
      if (stopping) return;
      restarts++;
      restartsTotal.inc();
      void fork().ready.then((ok) => ok && startSpare());
    }, delayMs);
  };

  /**
   * A crash loop ends once the serving workers have stayed up for a while: looked at
   * {@link HEALTHY_UPTIME_MS} after a worker (a new one, or the promoted standby) became ready.
   */
  function endCrashLoopIfStable(): void {
    setTimeout(() => {
      const serving = [...slots].filter((s) => !s.standby);
      if (crashLoop && serving.length > 0 && serving.every((s) => s.ready && Date.now() - s.startedAt >= HEALTHY_UPTIME_MS)) {
        crashLoop = false;
        alerter.resolve('crash_loop', 'crash loop over: workers stay up again');
        saveStatus();
      }
    }, HEALTHY_UPTIME_MS + 100).unref();
  }

  /** Starts a standby worker unless there is one (or the supervisor is stopping). */
  function startSpare(): void {
    if (stopping || spare) return;
    spare = fork(true).slot;
  }

  /** Stops `slot`'s worker gracefully (it finishes its requests) and resolves once it exited. */
  const retire = async (slot: Slot): Promise<void> => {
    slot.retiring = true;
    saveStatus();
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    if (slot.worker.isConnected()) slot.worker.send({ type: WORKER_RETIRE } satisfies WorkerMessage);
    else slot.worker.process.kill('SIGTERM');
    const deadline = config.shutdownTimeoutMs + 5_000;
    const timedOut = await Promise.race([exited.then(() => false), sleep(deadline).then(() => true)]);
    if (timedOut) {
      log.error({ worker: slot.worker.id, workerPid: slot.worker.process.pid, deadlineMs: deadline }, 'worker did not stop in time; killing it');
      slot.worker.process.kill('SIGKILL');
      await exited;
    }
  };

  const reload = async (): Promise<void> => {
    reloads++;
    log.info({ workers: slots.size }, 'rolling reload: replacing workers one at a time');
    const oldSpare = spare;
    for (const old of [...slots]) {
      if (stopping) return;
      if (old.retiring || old.standby) continue;
      const { ready } = fork();
      if (!(await ready)) {
        log.error('rolling reload stopped: a new worker did not become ready; the old ones keep serving');
        return;
      }
      await retire(old);
    }
    // The standby runs the old code too: replace it.
    if (oldSpare && spare === oldSpare) {
      spare = undefined;
      await retire(oldSpare);
      startSpare();
    }
    log.info({ workers: [...slots].filter((s) => !s.standby).length }, 'rolling reload done');
  };

  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      log.warn({ signal }, 'second signal; stopping workers now');
      for (const slot of slots) slot.worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, workers: slots.size }, 'stopping: every worker finishes its requests');
    saveStatus();
    await Promise.all([...slots].map((slot) => retire(slot)));
    stopped = true;
    saveStatus();
    removeSupervisorFiles(config.paths.dataDir);
    claim.release();
    log.info('stopped');
    await flushLogger(log);
    process.exit(0);
  };

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    // A reload asked for during another one follows it.
    reloadsQueued++;
    reloadQueue = reloadQueue.then(reload).finally(() => {
      reloadsQueued--;
      saveStatus();
    });
    saveStatus();
  });

  writePidFile(config.paths.dataDir);
  log.info({ workers: config.workers, engine: config.engine }, 'robusto supervisor starting workers');
  // The first worker alone first: on a first start it migrates and creates the owner account,
  // which the others must not race for.
  const first = fork();
  await first.ready;
  await Promise.all(Array.from({ length: config.workers - 1 }, () => fork().ready));
  // A standby only once a worker came up: while they crash at start, it would crash too.
  if ([...slots].some((s) => s.ready)) startSpare();
  saveStatus();
}
