import { rm } from 'node:fs/promises';
import { listBackups } from './list.js';

/** How long backups are kept by default. */
export const BACKUP_KEEP_DAYS = 30;

/**
 * Deletes the backups under `root` made more than `keepDays` before `now`, always keeping the
 * newest one whatever its age. Only directories holding a readable robusto manifest are
 * considered (their age is the manifest's `createdAt`, not the file times); anything else under
 * `root`, unreadable backups included, is left alone. Returns the paths deleted.
 */
export async function pruneBackups(root: string, options: { now?: Date; keepDays?: number } = {}): Promise<string[]> {
  const now = options.now ?? new Date();
  const keepMs = (options.keepDays ?? BACKUP_KEEP_DAYS) * 86_400_000;
  const old = (await listBackups(root)).backups.slice(1).filter((b) => now.getTime() - Date.parse(b.manifest.createdAt) > keepMs);
  for (const { dir } of old) await rm(dir, { recursive: true, force: true });
  return old.map((b) => b.dir);
}
