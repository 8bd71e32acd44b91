import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import type { Logger } from '../log/create-logger.js';
import type { Journal } from '../resilience/journal/journal.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { Alerter } from './alerts.js';

/** When the watched conditions alert; the defaults are the issue's. */
export interface AlertThresholds {
  /** How often the conditions are looked at. */
  intervalMs: number;
  /** The database failing for this long. */
  healthFailingMs: number;
  /** The oldest write waiting in the journal older than this. */
  journalStaleMs: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = { intervalMs: 5_000, healthFailingMs: 30_000, journalStaleMs: 5 * 60_000 };

/** The lease that makes one watcher per `DATA_DIR`, so workers do not alert once each. */
const ALERT_LEASE = 'alerts';

/**
 * Watches what should wake someone up and tells the {@link Alerter}: the database failing for
 * 30 s, the oldest journaled write older than 5 minutes, a new dead letter; and that each is
 * over. (The pool is watched by the `core.watch-pool` job, failing jobs by the job runner.) Among processes sharing `DATA_DIR`, only the holder of
 * a lease in the journal file watches. Returns a function that stops it.
 */
export function startAlertWatch(
  deps: { db: Database; journal: Journal; alerter: Alerter; log: Logger },
  thresholds: AlertThresholds = DEFAULT_ALERT_THRESHOLDS,
): () => void {
  const { db, journal, alerter } = deps;
  const holder = `${process.pid}|${randomUUID()}`;
  let failingSince: number | undefined;
  let deadSeen: number | undefined;
  let running = false;

  const tick = async (): Promise<void> => {
    if (!journal.acquireLease(ALERT_LEASE, holder, thresholds.intervalMs * 3)) return;
    const now = Date.now();
    const healthy = await withTimeout(db.ping(), Math.min(2_000, thresholds.intervalMs), 'the database').then(
      () => true,
      () => false,
    );
    failingSince = healthy ? undefined : (failingSince ?? now);
    if (failingSince !== undefined && now - failingSince >= thresholds.healthFailingMs) {
      alerter.raise('health_failing', 'the database has not answered for a while: /health fails', { sinceMs: now - failingSince });
    } else if (healthy) alerter.resolve('health_failing', 'the database answers again');

    const stats = journal.stats();
    const age = stats.oldestPendingAt ? now - Date.parse(stats.oldestPendingAt) : 0;
    if (age >= thresholds.journalStaleMs)
      alerter.raise('journal_stale', 'writes have waited in the journal for a while: is the database reachable?', {
        pending: stats.pending,
        oldestPendingAt: stats.oldestPendingAt,
      });
    else alerter.resolve('journal_stale', 'the journal is draining again', { pending: stats.pending });

    if (deadSeen !== undefined && stats.dead > deadSeen)
      alerter.raise('dead_letter', 'a journaled write could not be applied (dead letter): see /api/system/dead-letters', { dead: stats.dead });
    else if (stats.dead === 0) alerter.resolve('dead_letter', 'no dead letters left');
    deadSeen = stats.dead;
  };

  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .catch((error: unknown) => deps.log.warn({ err: error }, 'alert watch failed; will look again'))
      .finally(() => {
        running = false;
      });
  }, thresholds.intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    journal.releaseLease(ALERT_LEASE, holder);
  };
}
