import { Type } from '@sinclair/typebox';
import { JobStateSchema } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { INSTALLATION_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /jobs`: every periodic job's state (installation role). */
export function jobsRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/jobs',
    {
      schema: {
        summary: 'Periodic jobs: last run, last success, failures in a row, next run (installation role)',
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(JobStateSchema) }) },
      },
      // Without the database, cluster jobs show this process's last view of them.
      config: INSTALLATION_WITHOUT_DATABASE,
    },
    async () => ({ items: await ctx.jobStates() }),
  );
}
