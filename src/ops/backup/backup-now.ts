import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../log/create-logger.js';
import { BACKUP_JOB_TIMEOUT_MS, backUpInstallation } from './backup-job.js';
import type { BackupManifest } from './manifest.js';
import { holderGone, holderName } from '../../resilience/lock-holder.js';

/**
 * The file under `BACKUP_DIR` that says a backup asked for now is being made, by whom and since
 * when: one at a time across every process sharing the directory. It does not start with the
 * backups' prefix, so listing and pruning never see it.
 */
export const BACKUP_NOW_LOCK = '.robusto-backup-now.lock';

/** Who holds {@link BACKUP_NOW_LOCK}: `host|pid`, and since when (ISO 8601). */
interface LockHolder {
  holder: string;
  startedAt: string;
}

/** What {@link backUpNow} answers: the verified backup it made, or the one already being made. */
export type BackupNowOutcome = { made: { dir: string; manifest: BackupManifest; seconds: number } } | { running: { startedAt: string } };

/** The lock's holder, or undefined when the file is gone or cannot be read as one. */
async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.holder === 'string' && typeof parsed.startedAt === 'string' ? { holder: parsed.holder, startedAt: parsed.startedAt } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes {@link BACKUP_NOW_LOCK}: a release function, or who holds it. A lock left by a process
 * that died (on this machine), older than a scheduled backup may run, or unreadable for longer
 * than a minute (its writer died mid-write) is taken over.
 */
async function takeLock(root: string, startedAt: string): Promise<{ release: () => Promise<void> } | { heldSince: string }> {
  await mkdir(root, { recursive: true });
  const file = path.join(root, BACKUP_NOW_LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify({ holder: holderName(), startedAt } satisfies LockHolder));
      } finally {
        await handle.close();
      }
      return { release: () => rm(file, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const held = await readHolder(file);
    const since = held?.startedAt ?? (await stat(file).catch(() => undefined))?.mtime.toISOString() ?? startedAt;
    const stale = held ? holderGone(held.holder) || Date.now() - Date.parse(held.startedAt) > BACKUP_JOB_TIMEOUT_MS : Date.now() - Date.parse(since) > 60_000;
    if (!stale) return { heldSince: since };
    await rm(file, { force: true });
  }
}

/**
 * A verified backup made now, as the scheduled one makes it ({@link backUpInstallation}), for
 * the admin's "back up now": only one at a time across the processes sharing `BACKUP_DIR`, so a
 * second asked for while one runs answers `running` with when that one started. It does not
 * prune old copies: that is the schedule's. Stopped after as long as a scheduled backup may take.
 *
 * @throws {BackupError} what {@link backUpInstallation} throws (a copy that does not read back, no robusto tables).
 */
export async function backUpNow(config: Readonly<Config>, db: Database, log: Logger): Promise<BackupNowOutcome> {
  const started = new Date();
  const lock = await takeLock(config.paths.backupsDir, started.toISOString());
  if ('heldSince' in lock) return { running: { startedAt: lock.heldSince } };
  try {
    const made = await backUpInstallation(config, db, log, AbortSignal.timeout(BACKUP_JOB_TIMEOUT_MS));
    return { made: { ...made, seconds: Math.round((Date.now() - started.getTime()) / 100) / 10 } };
  } finally {
    await lock.release();
  }
}
