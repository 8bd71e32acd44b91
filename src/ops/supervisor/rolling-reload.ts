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
