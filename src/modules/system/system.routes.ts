import { packageInfo } from '../../config/package-info.js';
import { problemResponses } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { SystemInfoSchema, type SystemInfo } from './system.schemas.js';
import { readSettings } from './system.queries.js';

const startedAt = new Date();

/** Routes of the system module: facts about this robusto process and installation. */
export async function systemRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  app.get(
    '/info',
    {
      schema: { summary: 'Version, engine and uptime of this robusto', tags: ['system'], response: { 200: SystemInfoSchema, ...problemResponses(401, 403) } },
      config: { permission: 'system' },
    },
    async (): Promise<SystemInfo> => {
      const settings = await readSettings(ctx.db);
      return {
        name: 'robusto',
        version: packageInfo().version,
        engine: ctx.db.engine,
        node: process.version,
        pid: process.pid,
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.round(process.uptime()),
        installationId: settings.installation_id ?? '',
        installedAt: settings.installed_at ?? '',
      };
    },
  );
}
