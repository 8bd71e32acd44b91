import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { listBackups } from '../../../ops/backup/list.js';
import { BackupInfoSchema, UnreadableBackupSchema } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { INSTALLATION_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /backups`: the backups in `BACKUP_DIR`, newest first, and the entries there that cannot be read (installation role). */
export function backupsRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/backups',
    {
      schema: {
        summary: 'The backups in BACKUP_DIR, newest first, and the entries there that cannot be read as one (installation role)',
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(BackupInfoSchema), problems: Type.Array(UnreadableBackupSchema) }) },
      },
      config: INSTALLATION_WITHOUT_DATABASE,
    },
    async () => {
      const { backups, problems } = await listBackups(ctx.config.paths.backupsDir);
      if (problems.length > 0) ctx.log.warn({ dir: ctx.config.paths.backupsDir, problems }, 'backups directory holds entries that are not readable backups');
      return {
        items: backups.map(({ dir, manifest }) => ({
          name: path.basename(dir),
          createdAt: manifest.createdAt,
          engine: manifest.engine,
          robustoVersion: manifest.robustoVersion,
          tables: manifest.tables.length,
          bytes: manifest.tables.reduce((sum, t) => sum + (t.bytes ?? 0), 0),
          encrypted: manifest.encryption !== undefined,
        })),
        problems,
      };
    },
  );
}
