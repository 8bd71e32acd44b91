import type { Logger } from '../../log/create-logger.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Replaces every worker, one at a time: a new one is started, and only once it is ready is the
 * old one stopped gracefully (it finishes its requests first); then the standby, which runs the
 * old code too. A new worker that does not become ready stops the reload: the old ones keep
 * serving.
 */
export async function rollingReload(pool: WorkerPool, log: Logger): Promise<void> {
  log.info({ workers: pool.slots.size }, 'rolling reload: replacing workers one at a time');
  const oldSpare = pool.spare;
  for (const old of [...pool.slots]) {
    if (pool.stopping) return;
    if (old.retiring || old.standby) continue;
    const fresh = pool.fork();
    if (!fresh) return;
    if (!(await fresh.ready)) {
      log.error('rolling reload stopped: a new worker did not become ready; the old ones keep serving');
      return;
    }
    await pool.retire(old);
  }
  if (oldSpare && pool.spare === oldSpare) {
    pool.spare = undefined;
    await pool.retire(oldSpare);
    pool.startSpare();
  }
  log.info({ workers: pool.serving().length }, 'rolling reload done');
}

/**
 * The supervisor's reloads (SIGHUP, `robusto reload`): one asked for during another follows it,
 * none starts once the pool stops. The status says `reloading` while any is asked for.
 */
export class ReloadQueue {
  /** Reloads started. */
  reloads = 0;
  /** Reloads asked for and not finished. */
  queued = 0;
  #tail = Promise.resolve();

  constructor(
    private readonly pool: WorkerPool,
    private readonly log: Logger,
    /** Told when a reload is asked for and when one finished: the status file is saved. */
    private readonly changed: () => void,
  ) {}

  /** Asks for a rolling reload, after the ones asked for before it. */
  request(): void {
    if (this.pool.stopping) return;
    this.queued++;
    this.#tail = this.#tail
      .then(() => {
        this.reloads++;
        return rollingReload(this.pool, this.log);
      })
      .finally(() => {
        this.queued--;
        this.changed();
      });
    this.changed();
  }
}
