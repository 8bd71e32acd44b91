import type { Logger } from '../../log/create-logger.js';
import { WORKER_PROMOTE, type WorkerMessage } from '../../shared/cluster-messages.js';
import type { Alerter } from '../alerts.js';
import type { SupervisorStatus } from '../supervisor-files.js';
import { CRASH_LOOP_WINDOW_MS, CrashPolicy, HEALTHY_UPTIME_MS } from './crash-policy.js';
import type { Slot, WorkerPool } from './worker-pool.js';

/** What {@link CrashReplacement} needs from its supervisor. */
export interface CrashReplacementOptions {
  pool: WorkerPool;
  log: Logger;
  alerter: Alerter;
  /** Told of each worker started to replace one that died: the metrics count it. */
  restarted(): void;
  /** Told whenever what the status file shows changed: it is saved. */
  changed(): void;
}

/** One worker's death, as the crash policy judged it. */
interface Crash {
  pid: number | undefined;
  reason: string;
  delayMs: number;
  consecutiveCrashes: number;
}

/**
 * The supervisor's answer to a worker that died: its standby takes over at once if one stands
 * by, else a new one starts after the crash policy's backoff. It keeps what the status file
 * shows of crashes (restarts, the last crash, a crash loop), raises the crash-loop alert, and
 * resolves it once the serving workers stay up again.
 */
export class CrashReplacement {
  /** Workers started to replace one that died. */
  restarts = 0;
  lastCrash: SupervisorStatus['lastCrash'] = null;
  crashLoop = false;
  readonly #crashes = new CrashPolicy();

  constructor(private readonly options: CrashReplacementOptions) {}

  /** A serving worker became ready: during a crash loop, it may be the end of it. */
  workerReady(): void {
    if (this.crashLoop) this.#endCrashLoopIfStable();
  }

  /** A worker exited, after it left the pool: a crash unless it was stopped on purpose. */
  workerExited(slot: Slot, code: number | null, signal: string | null): void {
    const { pool, log } = this.options;
    if (slot.retiring || pool.stopping) {
      log.info({ worker: slot.worker.id, workerPid: slot.worker.process.pid, code, signal }, 'worker stopped');
      this.options.changed();
      return;
    }
    const now = Date.now();
    const crash = this.#record(slot, code, signal, now);
    const standby = pool.spare;
    if (!slot.standby && standby?.standing && !standby.retiring) this.#promote(slot, standby, crash, now);
    else this.#replaceAfterBackoff(slot, crash);
  }

  /** Records the crash as the last one, asks the crash policy how long to wait, and raises the alert when it starts a crash loop. */
  #record(slot: Slot, code: number | null, signal: string | null, now: number): Crash {
    const pid = slot.worker.process.pid;
    const reason = slot.fatal ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    this.lastCrash = { at: new Date(now).toISOString(), pid: pid ?? null, reason };
    const { delayMs, inARow: consecutiveCrashes, recent, loop } = this.#crashes.crashed(now, now - slot.startedAt);
    if (loop && !this.crashLoop) {
      this.crashLoop = true;
      this.options.alerter.raise('crash_loop', 'crash loop: workers keep dying; restarts continue, at most every 15 s', {
        crashes: recent,
        windowMs: CRASH_LOOP_WINDOW_MS,
        reason,
        delayMs,
      });
    }
    return { pid, reason, delayMs, consecutiveCrashes };
  }

  /** The standby takes over from the dead worker at once; a new standby follows after the backoff. */
  #promote(slot: Slot, standby: Slot, crash: Crash, now: number): void {
    const { pool, log } = this.options;
    const { pid, reason, delayMs, consecutiveCrashes } = crash;
    pool.spare = undefined;
    standby.standby = false;
    standby.startedAt = now;
    this.restarts++;
    this.options.restarted();
    standby.worker.send({ type: WORKER_PROMOTE } satisfies WorkerMessage);
    log.error(
      { worker: slot.worker.id, workerPid: pid, reason, standby: standby.worker.id, delayMs, consecutiveCrashes },
      'worker died; the standby worker takes over',
    );
    this.options.changed();
    setTimeout(() => pool.startSpare(), delayMs);
  }

  /** Without a standby standing by (or when the standby died), a new worker (or standby) starts after the backoff. */
  #replaceAfterBackoff(slot: Slot, crash: Crash): void {
    const { pool, log } = this.options;
    const { pid, reason, delayMs, consecutiveCrashes } = crash;
    log.error({ worker: slot.worker.id, workerPid: pid, reason, delayMs, consecutiveCrashes }, 'worker died; starting a new one after a delay');
    this.options.changed();
    if (slot.standby) {
      setTimeout(() => pool.startSpare(), delayMs);
      return;
    }
    setTimeout(() => {
      const fresh = pool.fork();
      if (!fresh) return;
      this.restarts++;
      this.options.restarted();
      void fresh.ready.then((ok) => ok && pool.startSpare());
    }, delayMs);
  }

  /**
   * A crash loop ends once the serving workers have stayed up for a while: looked at
   * {@link HEALTHY_UPTIME_MS} after a worker (a new one, or the promoted standby) became ready.
   */
  #endCrashLoopIfStable(): void {
    setTimeout(() => {
      const serving = this.options.pool.serving();
      if (this.crashLoop && serving.length > 0 && serving.every((s) => s.ready && Date.now() - s.startedAt >= HEALTHY_UPTIME_MS)) {
        this.crashLoop = false;
        this.options.alerter.resolve('crash_loop', 'crash loop over: workers stay up again');
        this.options.changed();
      }
    }, HEALTHY_UPTIME_MS + 100).unref();
  }
}
