import { BACKUP_DIR_PREFIX } from './backup.js';
import { readEntries } from '../read-entries.js';
import { readManifest, type BackupManifest } from './manifest.js';

/** One backup found under a backups directory. */
export interface ListedBackup {
  dir: string;
  manifest: BackupManifest;
}

/**
 * The backups under `root`, newest first (by the manifest's `createdAt`, not file times). Only
 * directories holding a readable robusto manifest count; anything else there is ignored. An
 * unreadable `root` has none.
 */
export function listBackups(root: string): ListedBackup[] {
  return readEntries(
    root,
    (name) => name.startsWith(BACKUP_DIR_PREFIX),
    (dir): ListedBackup | undefined => {
      const manifest = readManifest(dir);
      return Number.isFinite(Date.parse(manifest.createdAt)) ? { dir, manifest } : undefined;
    },
  ).sort((a, b) => Date.parse(b.manifest.createdAt) - Date.parse(a.manifest.createdAt));
}
