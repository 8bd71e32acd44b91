import { packageInfo } from '../../../config/package-info.js';
import { createVerifiedBackup } from '../../backup/verified-backup.js';
import type { PhaseResult, RestartRun } from '../restart-run.js';
import { text } from '../../../shared/i18n/translate.js';

/** Backs the database up into `BACKUP_DIR` and verifies it: until here nothing was changed. */
export async function backup(run: RestartRun): Promise<PhaseResult> {
  const { config } = run;
  const made = await createVerifiedBackup(run.db, {
    root: config.paths.backupsDir,
    robustoVersion: packageInfo().version,
    encryptionKey: config.backup.encryptionKey,
    extraModules: config.extraModules,
  });
  run.outcome.backupDir = made.dir;
  run.backup = made.manifest;
  return {
    detail: text('restart.backup.done', { dir: made.dir, rows: made.manifest.tables.reduce((n, t) => n + t.rows, 0), tables: made.manifest.tables.length }),
  };
}
