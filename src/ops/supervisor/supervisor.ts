import type { Config } from '../../config/config.js';
import { flushLogger, type Logger } from '../../log/create-logger.js';
import type { Locale } from '../../shared/i18n/locale.js';
import { t } from '../../shared/i18n/translate.js';
import { Alerter } from '../alerts.js';
import { removeSupervisorFiles, runningSupervisorPid, writeLaunchFile, writePidFile, writeStatusFile, type SupervisorStatus } from '../supervisor-files.js';
import { claimDataDir, type SupervisorLock } from '../supervisor-lock.js';
import { CrashReplacement } from './crash-replacement.js';
import { gatherClusterMetrics, type SupervisorMetrics } from './metrics-gather.js';
import { ReloadQueue } from './rolling-reload.js';
import { WorkerPool } from './worker-pool.js';

/** What {@link supervise} needs. */
export interface SuperviseOptions {
  config: Readonly<Config>;
  log: Logger;
  /** Arguments a worker process runs with (`serve`). */
  workerArgs: string[];
  /** The language of what it writes to its terminal (the log stays English); English when not given. */
  locale?: Locale;
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
  if (!claim) return refuseSecondSupervisor(config.paths.dataDir, log, options.locale ?? 'en');
  // On every way out (a signal's stop, a second signal, a crash of the supervisor itself), no
  // file is left saying it runs. Only SIGKILL skips this: the next start sees a dead pid.
  process.on('exit', () => removeSupervisorFiles(config.paths.dataDir));
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'supervisor crashed; its workers stop once it is gone');
    void flushLogger(log).finally(() => process.exit(1));
  });
  const supervisor = new Supervisor(options, claim);
  process.on('SIGTERM', () => void supervisor.stop('SIGTERM'));
  process.on('SIGINT', () => void supervisor.stop('SIGINT'));
  process.on('SIGHUP', () => supervisor.reload());
  await supervisor.start();
}

/** Another supervisor serves `dataDir`: says which, and exits 1 without touching anything. */
async function refuseSecondSupervisor(dataDir: string, log: Logger, locale: Locale): Promise<void> {
  const pid = runningSupervisorPid(dataDir);
  log.error({ dataDir, supervisorPid: pid ?? null }, 'another robusto supervisor already serves this DATA_DIR; not starting');
  process.stderr.write(`${pid ? t(locale, 'cli.alreadyRunningPid', { dataDir, pid: String(pid) }) : t(locale, 'cli.alreadyRunning', { dataDir })}\n`);
  await flushLogger(log);
  process.exitCode = 1;
}

/** A supervisor that holds its `DATA_DIR`: its workers, their crashes and reloads, its status file and its stop. */
class Supervisor {
  readonly #options: SuperviseOptions;
  readonly #claim: SupervisorLock;
  readonly #startedAt = new Date().toISOString();
  readonly #pool: WorkerPool;
  readonly #metrics: SupervisorMetrics;
  readonly #crashes: CrashReplacement;
  readonly #reloads: ReloadQueue;

  constructor(options: SuperviseOptions, claim: SupervisorLock) {
    const { config, log } = options;
    this.#options = options;
    this.#claim = claim;
    const alerter = new Alerter(config.alertWebhookUrl, log);
    this.#pool = new WorkerPool({
      workerArgs: options.workerArgs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      shutdownDelayMs: config.shutdownDelayMs,
      log,
      changed: () => this.#saveStatus(),
      ready: () => this.#crashes.workerReady(),
      exited: (slot, code, signal) => this.#crashes.workerExited(slot, code, signal),
    });
    this.#metrics = gatherClusterMetrics(this.#pool, () => this.#crashes.crashLoop, log);
    this.#crashes = new CrashReplacement({
      pool: this.#pool,
      log,
      alerter,
      restarted: () => this.#metrics.restarted(),
      changed: () => this.#saveStatus(),
    });
    this.#reloads = new ReloadQueue(this.#pool, log, () => this.#saveStatus());
  }

  /**
   * Writes its pid and launch files and starts the workers. The first worker alone first: on a
   * first start it migrates and creates the owner account, which the others must not race for.
   * A signal may come at any moment of this: a stopping pool forks nothing more.
   */
  async start(): Promise<void> {
    const { config, log } = this.#options;
    writePidFile(config.paths.dataDir);
    writeLaunchFile(config.paths.dataDir);
    log.info({ workers: config.workers, engine: config.engine }, 'robusto supervisor starting workers');
    await this.#pool.fork()?.ready;
    await Promise.all(Array.from({ length: config.workers - 1 }, () => this.#pool.fork()?.ready ?? Promise.resolve(false)));
    // A standby only once a worker came up: while they crash at start, it would crash too.
    if ([...this.#pool.slots].some((s) => s.ready)) this.#pool.startSpare();
    this.#saveStatus();
  }

  /** SIGHUP: a rolling reload, after any already asked for; none once stopping. */
  reload(): void {
    this.#reloads.request();
  }

  /** SIGTERM/SIGINT: every worker finishes its requests, then the process exits 0; a second signal kills them and exits 1. */
  async stop(signal: string): Promise<void> {
    const { config, log } = this.#options;
    const pool = this.#pool;
    if (pool.stopping) {
      log.warn({ signal }, 'second signal; stopping workers now');
      for (const slot of pool.slots) slot.worker.process.kill('SIGKILL');
      process.exit(1);
    }
    pool.stopping = true;
    log.info({ signal, workers: pool.slots.size }, 'stopping: every worker finishes its requests');
    this.#saveStatus();
    await Promise.all([...pool.slots].map((slot) => pool.retire(slot, { leaving: true })));
    removeSupervisorFiles(config.paths.dataDir);
    this.#claim.release();
    log.info('stopped');
    await flushLogger(log);
    process.exit(0);
  }

  #status(): SupervisorStatus {
    const { config } = this.#options;
    return {
      pid: process.pid,
      startedAt: this.#startedAt,
      updatedAt: new Date().toISOString(),
      state: this.#pool.stopping ? 'stopping' : this.#reloads.queued > 0 ? 'reloading' : 'running',
      address: `http://${config.host}:${config.port}`,
      engine: config.engine,
      workersWanted: config.workers,
      workers: this.#pool.statuses(),
      restarts: this.#crashes.restarts,
      reloads: this.#reloads.reloads,
      lastCrash: this.#crashes.lastCrash,
      crashLoop: this.#crashes.crashLoop,
    };
  }

  #saveStatus(): void {
    writeStatusFile(this.#options.config.paths.dataDir, this.#status(), this.#options.log);
  }
}
