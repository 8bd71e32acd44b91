import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BACKUP_DIR_PREFIX } from './backup.js';
import { readManifest } from './manifest.js';

/** How long backups are kept by default. */
export const BACKUP_KEEP_DAYS = 30;

/**
 * Deletes the backups under `root` made more than `keepDays` before `now`, always keeping the
 * newest one whatever its age. Only directories holding a readable robusto manifest are
 * considered (their age is the manifest's `createdAt`, not the file times); anything else under
 * `root` is left alone. Returns the paths deleted.
 */
export function pruneBackups(root: string, options: { now?: Date; keepDays?: number } = {}): string[] {
  const now = options.now ?? new Date();
  const keepMs = (options.keepDays ?? BACKUP_KEEP_DAYS) * 86_400_000;
  let names: string[];
  try {
    names = readdirSync(root).filter((name) => name.startsWith(BACKUP_DIR_PREFIX));
  } catch {
    return [];
  }
  const backups = names
    .map((name) => {
      const dir = path.join(root, name);
      try {
        return { dir, createdAt: Date.parse(readManifest(dir).createdAt) };
      } catch {
        return undefined;
      }
    })
    .filter((b): b is { dir: string; createdAt: number } => b !== undefined && Number.isFinite(b.createdAt))
    .sort((a, b) => b.createdAt - a.createdAt);
  const old = backups.slice(1).filter((b) => now.getTime() - b.createdAt > keepMs);
  for (const { dir } of old) rmSync(dir, { recursive: true, force: true });
  return old.map((b) => b.dir);
}
