import path from 'node:path';
import { BackupError } from '../../../ops/backup/manifest.js';
import { AppError } from '../../../shared/app-error.js';
import { text } from '../../../shared/i18n/translate.js';
import { SystemError } from '../system.errors.js';
import { BackupMadeSchema, type BackupMade } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { INSTALLATION } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `POST /backups`: makes a verified backup into `BACKUP_DIR` now and answers it once it reads back; one at a time (installation role). */
export function backupNowRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.post(
    '/backups',
    {
      schema: {
        summary: 'Make a verified backup into BACKUP_DIR now, answered once it has been read back; 409 while another is being made (installation role)',
        tags: ['system'],
        response: { 201: BackupMadeSchema },
      },
      // Not a command: nothing is journaled, no 202 (and no Idempotency-Key) is ever answered.
      config: { ...INSTALLATION, writePath: false, errors: [SystemError.BACKUP_RUNNING, SystemError.BACKUP_NOW_FAILED] },
    },
    async (request, reply): Promise<BackupMade> => {
      let outcome: Awaited<ReturnType<AdminContext['backUpNow']>>;
      try {
        outcome = await ctx.backUpNow();
      } catch (error) {
        throw new AppError(
          SystemError.BACKUP_NOW_FAILED,
          500,
          text('system.backupNowFailed', {
            reason: error instanceof BackupError ? error.detail : text('system.backupNowUnexpected'),
            dir: ctx.config.paths.backupsDir,
          }),
          { cause: error, ...(error instanceof BackupError ? { extensions: { backupCode: error.code } } : {}) },
        );
      }
      if ('running' in outcome) {
        throw new AppError(SystemError.BACKUP_RUNNING, 409, text('system.backupRunning', { since: outcome.running.startedAt }), {
          extensions: { startedAt: outcome.running.startedAt },
        });
      }
      const { dir, manifest, seconds } = outcome.made;
      request.log.info({ dir, tables: manifest.tables.length, seconds }, 'backup made and verified on an admin request');
      reply.code(201);
      return {
        name: path.basename(dir),
        createdAt: manifest.createdAt,
        tables: manifest.tables.length,
        rows: manifest.tables.reduce((sum, t) => sum + t.rows, 0),
        bytes: manifest.tables.reduce((sum, t) => sum + (t.bytes ?? 0), 0),
        encrypted: manifest.encryption !== undefined,
        verified: true,
        seconds,
      };
    },
  );
}
