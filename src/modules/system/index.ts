import { defineModule } from '../module.js';
import { systemMigrations } from './system.migrations.js';
import { systemRoutes } from './system.routes.js';

/** The system module: `GET /api/system/info` (version, engine, uptime, installation). */
export default defineModule({
  name: 'system',
  migrations: systemMigrations,
  routes: systemRoutes,
});
