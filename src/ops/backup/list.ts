import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { BACKUP_DIR_PREFIX } from './backup.js';
import { readManifest, type BackupManifest } from './manifest.js';

/** One backup found under a backups directory. */
export interface ListedBackup {
  dir: string;
  manifest: BackupManifest;
}

/** An entry of a backups directory named like a backup that cannot be read as one, and why. */
export interface UnreadableBackup {
  name: string;
  problem: string;
}

/**
 * The backups under `root`, newest first (by the manifest's `createdAt`, not file times), and
 * the entries named like a backup (`robusto-backup-…`) that are not readable ones, each with
 * why: not a directory, a manifest that is missing, not a regular file (a FIFO, a link, a
 * device), too large or invalid. Everything is read asynchronously and within limits, so
 * nothing placed there can hold the process up. Anything else under `root` is ignored; an
 * unreadable `root` has none.
 */
export async function listBackups(root: string): Promise<{ backups: ListedBackup[]; problems: UnreadableBackup[] }> {
  const backups: ListedBackup[] = [];
  const problems: UnreadableBackup[] = [];
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return { backups, problems };
  }
  for (const entry of entries.filter((e) => e.name.startsWith(BACKUP_DIR_PREFIX)).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) {
      problems.push({ name: entry.name, problem: 'not a directory: a backup is a directory robusto wrote' });
      continue;
    }
    try {
      const manifest = await readManifest(path.join(root, entry.name));
      if (Number.isFinite(Date.parse(manifest.createdAt))) backups.push({ dir: path.join(root, entry.name), manifest });
      else problems.push({ name: entry.name, problem: `its manifest's createdAt "${String(manifest.createdAt)}" is not a date` });
    } catch (error) {
      problems.push({ name: entry.name, problem: (error as Error).message });
    }
  }
  backups.sort((a, b) => Date.parse(b.manifest.createdAt) - Date.parse(a.manifest.createdAt));
  return { backups, problems };
}
