import type { Database } from '../db/database.js';
import { defineJob, type JobDefinition } from '../jobs/job.js';
import type { Alerter } from './alerts.js';

/** The share of the pool in use above which it counts as saturated. */
export const POOL_BUSY_SHARE = 0.8;
/** How often the pool is looked at. */
export const POOL_WATCH_EVERY_MS = 5_000;
/** How long it must stay saturated before the alert. */
export const POOL_SATURATED_FOR_MS = 60_000;

/**
 * The `watch-pool` job: every 5 s, looks at this process's connection pool; more than 80 % of it
 * busy for a minute raises `pool_saturated`, and room again resolves it. Each process watches its
 * own pool (its scope is `process`): a saturated pool is one worker's.
 */
export function poolWatchJob(db: Database, alerter: Pick<Alerter, 'raise' | 'resolve'>, saturatedForMs = POOL_SATURATED_FOR_MS): JobDefinition<void> {
  let saturatedSince: number | undefined;
  return defineJob<void>({
    name: 'watch-pool',
    schedule: { everyMs: POOL_WATCH_EVERY_MS },
    scope: 'process',
    timeoutMs: POOL_WATCH_EVERY_MS,
    run: async () => {
      const pool = db.poolStats();
      const now = Date.now();
      const busy = pool.max > 0 && (pool.total - pool.idle) / pool.max > POOL_BUSY_SHARE;
      saturatedSince = busy ? (saturatedSince ?? now) : undefined;
      if (saturatedSince !== undefined && now - saturatedSince >= saturatedForMs) {
        alerter.raise('pool_saturated', 'the database pool has been over 80 % busy for a while', { ...pool, sinceMs: now - saturatedSince });
      } else if (!busy) alerter.resolve('pool_saturated', 'the database pool has room again', { ...pool });
    },
  });
}
