import { analyzeChangedTables } from '../db/analyze.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../log/create-logger.js';
import type { Replayer } from './replayer.js';

/** Writes replayed since the last refresh past which the tables they filled are analyzed. */
export const ANALYZE_AFTER_REPLAYED_WRITES = 1_000;

/**
 * How long after such a drain the refresh waits: PostgreSQL counts a connection's changed rows
 * (`n_mod_since_analyze`) once it has been idle about a second.
 */
export const ANALYZE_DELAY_MS = 2_000;

/**
 * After the journal drains more than {@link ANALYZE_AFTER_REPLAYED_WRITES} writes (an outage's
 * worth, counted over rounds), analyzes the tables that changed much (see
 * {@link analyzeChangedTables}): the planner's statistics predate those rows, and on a server
 * without autovacuum they would stay so. A failure is logged and tried at the next such drain.
 */
export function refreshStatisticsAfterReplay(
  replayer: Pick<Replayer, 'onRound'>,
  db: Database,
  log: Logger,
  options: { minWrites?: number; delayMs?: number } = {},
): void {
  const minWrites = options.minWrites ?? ANALYZE_AFTER_REPLAYED_WRITES;
  let replayed = 0;
  let scheduled = false;
  replayer.onRound(({ applied, outcome }) => {
    replayed += applied;
    if (outcome !== 'drained' || replayed < minWrites || scheduled) return;
    scheduled = true;
    const writes = replayed;
    replayed = 0;
    setTimeout(() => {
      analyzeChangedTables(db, minWrites)
        .then((tables) => log.info({ writes, tables }, 'statistics refreshed after a large replay'))
        .catch((error: unknown) => {
          replayed += writes;
          log.warn({ err: error }, 'cannot refresh statistics after a large replay; trying again after the next one');
        })
        .finally(() => (scheduled = false));
    }, options.delayMs ?? ANALYZE_DELAY_MS).unref();
  });
}
