import { rm } from 'node:fs/promises';
import { createBackup } from './backup.js';
import { text } from '../../shared/i18n/translate.js';
import { BackupError, BackupErrorCode, type BackupManifest } from './manifest.js';
import { verifyBackup } from './verify.js';

/**
 * {@link createBackup}, then {@link verifyBackup} on what it wrote: a copy counts only once it
 * reads back. One that does not is removed (it must not sit among the good ones looking like
 * one) and refused. The scheduled backup and `robusto restart` both back up this way.
 * `extraModules`: `ROBUSTO_MODULES`' files, whose tables the backup holds too.
 *
 * @throws {BackupError} `ERR_BACKUP_DAMAGED` when the copy does not read back; whatever
 *   `createBackup` throws.
 */
export async function createVerifiedBackup(
  db: Parameters<typeof createBackup>[0],
  options: Parameters<typeof createBackup>[1] & { extraModules?: readonly string[] },
): Promise<{ dir: string; manifest: BackupManifest }> {
  const made = await createBackup(db, options);
  options.signal?.throwIfAborted();
  const { problemTexts: problems } = await verifyBackup(made.dir, { encryptionKey: options.encryptionKey, extraModules: options.extraModules });
  if (problems.length > 0) {
    await rm(made.dir, { recursive: true, force: true });
    throw new BackupError(BackupErrorCode.DAMAGED, text('backup.error.notReadBack', { dir: made.dir, problems, root: options.root }));
  }
  return made;
}
