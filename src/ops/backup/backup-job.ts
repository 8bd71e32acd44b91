import type { Config } from '../../config/config.js';
import { packageInfo } from '../../config/package-info.js';
import { createDb } from '../../db/create-db.js';
import type { Database } from '../../db/database.js';
import { defineJob, type JobDefinition } from '../../jobs/job.js';
import type { Logger } from '../../log/create-logger.js';
import { pruneBackups } from './prune.js';
import { createVerifiedBackup } from './verified-backup.js';

/** The longest a scheduled backup may take before it is stopped and counted as failed. */
export const BACKUP_JOB_TIMEOUT_MS = 60 * 60_000;
/** A failed scheduled backup is retried after 1 minute, doubling up to 30. */
export const BACKUP_JOB_RETRY = { firstDelayMs: 60_000, maxDelayMs: 30 * 60_000 } as const;

/**
 * A verified backup of the installation into `BACKUP_DIR`, as the scheduled one and the admin's
 * "back up now" make it: `BACKUP_ENCRYPTION_KEY` and `ROBUSTO_MODULES`' tables honoured, a copy
 * that does not read back removed and refused (`ERR_BACKUP_DAMAGED`).
 *
 * On SQLite the backup reads through a connection of its own: the server's single connection
 * would otherwise hold every write back for as long as the backup's read transaction lasts. (In
 * WAL mode a reader and the writer do not wait for each other.) On PostgreSQL it takes one
 * connection of the pool for that time.
 */
export async function backUpInstallation(
  config: Readonly<Config>,
  db: Database,
  log: Logger,
  signal?: AbortSignal,
): Promise<Awaited<ReturnType<typeof createVerifiedBackup>>> {
  const source = config.engine === 'sqlite' ? createDb(config, log) : db;
  try {
    return await createVerifiedBackup(source, {
      root: config.paths.backupsDir,
      robustoVersion: packageInfo().version,
      ...(signal ? { signal } : {}),
      encryptionKey: config.backup.encryptionKey,
      extraModules: config.extraModules,
    });
  } finally {
    if (source !== db) await source.close();
  }
}

/**
 * The scheduled backup (`BACKUP_SCHEDULE`), or `undefined` when it is off: a backup into
 * `BACKUP_DIR`, verified (a copy that does not read back is a failed run, and its directory is
 * removed), then the copies older than `BACKUP_KEEP_DAYS` pruned. One run per slot across every
 * worker and instance sharing the database; a failed run is retried, and 5 failures in a row
 * raise the `job_failing` alert like any job's. The copy is made by {@link backUpInstallation}.
 */
export function backupJob(config: Readonly<Config>, db: Database, log: Logger): JobDefinition<void> | undefined {
  const schedule = config.backup.schedule;
  if (schedule === null) return undefined;
  return defineJob<void>({
    name: 'backup',
    schedule: { cron: schedule },
    timeoutMs: BACKUP_JOB_TIMEOUT_MS,
    retry: BACKUP_JOB_RETRY,
    async run(_ctx, signal) {
      const made = await backUpInstallation(config, db, log, signal);
      signal.throwIfAborted();
      const pruned = await pruneBackups(config.paths.backupsDir, { keepDays: config.backup.keepDays });
      return { dir: made.dir, tables: made.manifest.tables.length, rows: made.manifest.tables.reduce((sum, t) => sum + t.rows, 0), pruned: pruned.length };
    },
  });
}
