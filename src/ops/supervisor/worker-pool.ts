import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../log/create-logger.js';
import { STANDBY_OPTION, WORKER_FATAL, WORKER_READY, WORKER_RETIRE, WORKER_STANDBY, type WorkerMessage } from '../../shared/cluster-messages.js';
import { sleep } from '../../shared/sleep.js';
import type { WorkerStatus } from '../supervisor-files.js';

/** How long a new worker may take to listen and pass its start-up checks. */
export const WORKER_READY_TIMEOUT_MS = 60_000;

/** One worker process of the pool. */
export interface Slot {
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

/** What a {@link WorkerPool} needs from its supervisor. */
export interface WorkerPoolOptions {
  /** Arguments a worker process runs with (`serve`). */
  workerArgs: string[];
  /** How long a worker may take to finish its requests when stopped (`SHUTDOWN_TIMEOUT_MS`). */
  shutdownTimeoutMs: number;
  /** How long a worker of a stopping instance keeps serving with readiness off first (`SHUTDOWN_DELAY_MS`). */
  shutdownDelayMs: number;
  log: Logger;
  /** Told whenever a worker starts, becomes ready, stands by or stops: the status file is saved. */
  changed(): void;
  /** Told when a serving worker becomes ready. */
  ready(slot: Slot): void;
  /** Told when a worker exits, after it left the pool. */
  exited(slot: Slot, code: number | null, signal: string | null): void;
}

/**
 * The worker processes of `robusto start` on Node's `cluster` (they share the port): starting
 * one (or the standby), stopping one gracefully, and their states for the status file.
 */
export class WorkerPool {
  readonly slots = new Set<Slot>();
  /** The standby worker, if one is starting or standing by. */
  spare: Slot | undefined;
  /** Set once the supervisor stops: no standby is started any more. */
  stopping = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Starts one worker (or the standby), unless the pool is stopping; `ready` resolves true once it is ready (or standing by), false if it died or timed out first. */
  fork(standby = false): { slot: Slot; ready: Promise<boolean> } | undefined {
    if (this.stopping) return undefined;
    const { log } = this.options;
    // Settings apply to the next fork: the standby gets its option.
    cluster.setupPrimary({ exec: process.argv[1] as string, args: standby ? [...this.options.workerArgs, STANDBY_OPTION] : this.options.workerArgs });
    const worker = cluster.fork();
    const slot: Slot = { worker, startedAt: Date.now(), ready: false, standby, standing: false, retiring: false };
    // NB: a message to a worker that is exiting fails (EPIPE) as an 'error' event; unheard, it
    // would end the supervisor. Its exit is what matters, and is handled below.
    worker.on('error', (error) => log.warn({ err: error, worker: worker.id, workerPid: worker.process.pid }, 'cannot reach a worker'));
    this.slots.add(slot);
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
          this.options.changed();
          this.options.ready(slot);
          resolve(true);
        } else if (message?.type === WORKER_STANDBY) {
          clearTimeout(timer);
          slot.standing = true;
          log.info({ worker: worker.id, workerPid: worker.process.pid }, 'standby worker ready');
          this.options.changed();
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
    worker.once('exit', (code, signal) => {
      this.slots.delete(slot);
      if (slot === this.spare) this.spare = undefined;
      this.options.exited(slot, code, signal);
    });
    this.options.changed();
    return { slot, ready };
  }

  /** Starts a standby worker unless there is one (or the supervisor is stopping). */
  startSpare(): void {
    if (this.stopping || this.spare) return;
    this.spare = this.fork(true)?.slot;
  }

  /**
   * Stops `slot`'s worker gracefully (it finishes its requests) and resolves once it exited.
   * `leaving`: the whole instance stops, so the worker first keeps serving with readiness off
   * for `SHUTDOWN_DELAY_MS` (a reload needs no such wait: the other workers share the port). A
   * worker still starting (neither ready nor standing by) gets SIGTERM: it may not listen for
   * messages yet, and has no request to finish.
   */
  async retire(slot: Slot, options: { leaving?: boolean } = {}): Promise<void> {
    slot.retiring = true;
    this.options.changed();
    const { worker } = slot;
    const exited = new Promise<void>((resolve) => {
      if (worker.isDead()) resolve();
      else worker.once('exit', () => resolve());
    });
    const terminate = () => worker.process.kill('SIGTERM');
    const message = { type: WORKER_RETIRE, ...(options.leaving ? { leaving: true } : {}) } satisfies WorkerMessage;
    if ((slot.ready || slot.standing) && worker.isConnected()) worker.send(message, undefined, (error) => error && terminate());
    else terminate();
    const deadline = (options.leaving ? this.options.shutdownDelayMs : 0) + this.options.shutdownTimeoutMs + 5_000;
    const timedOut = await Promise.race([exited.then(() => false), sleep(deadline).then(() => true)]);
    if (timedOut) {
      this.options.log.error({ worker: worker.id, workerPid: worker.process.pid, deadlineMs: deadline }, 'worker did not stop in time; killing it');
      worker.process.kill('SIGKILL');
      await exited;
    }
  }

  /** The workers that serve (or will): every one but the standby. */
  serving(): Slot[] {
    return [...this.slots].filter((s) => !s.standby);
  }

  /** Each worker's state, for the status file. */
  statuses(): WorkerStatus[] {
    return [...this.slots].map((s) => ({
      id: s.worker.id,
      pid: s.worker.process.pid ?? null,
      startedAt: new Date(s.startedAt).toISOString(),
      state: s.retiring ? 'stopping' : s.ready ? 'ready' : s.standing ? 'standby' : 'starting',
    }));
  }
}
