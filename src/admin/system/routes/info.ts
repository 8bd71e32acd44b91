import { packageInfo } from '../../../config/package-info.js';
import { readSettings } from '../system.queries.js';
import { SystemInfoSchema, type SystemInfo } from '../system.schemas.js';
import { INSTALLATION } from './route-config.js';
import type { ModuleRouter } from '../../../modules/module.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /info`: version, engine, uptime and settings of this robusto (installation role). */
export function infoRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/info',
    {
      schema: {
        summary: 'Version, engine and uptime of this robusto (installation role)',
        tags: ['system'],
        response: { 200: SystemInfoSchema },
      },
      config: INSTALLATION,
    },
    async (): Promise<SystemInfo> => {
      const settings = await readSettings(ctx.db);
      return {
        name: 'robusto',
        version: packageInfo().version,
        engine: ctx.db.engine,
        node: process.version,
        pid: process.pid,
        // This process's start: the moment its clock began, not when this module was imported.
        startedAt: new Date(performance.timeOrigin).toISOString(),
        uptimeSeconds: Math.round(process.uptime()),
        installationId: settings.installation_id ?? '',
        installedAt: settings.installed_at ?? '',
      };
    },
  );
}
