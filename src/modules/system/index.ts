import { defineModule } from '../module.js';
import { systemMigrations } from './system.migrations.js';
import { jobRoutes, journalRoutes, operationsRoutes, systemRoutes } from './system.routes.js';

/**
 * The system module (admins): `GET /api/system/info` (version, engine, uptime, installation),
 * the periodic jobs: `GET /api/system/jobs`, the journal: `GET /api/system/journal`, `GET /api/system/dead-letters`,
 * `POST /api/system/dead-letters/:id/retry|discard`, and operations: `GET /api/system/backups`, `GET /api/system/restarts`, `GET /api/system/errors`.
 */
export default defineModule({
  name: 'system',
  migrations: systemMigrations,
  routes: async (app, ctx) => {
    await systemRoutes(app, ctx);
    await journalRoutes(app, ctx);
    await jobRoutes(app, ctx);
    await operationsRoutes(app, ctx);
  },
});
