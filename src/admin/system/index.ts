import { defineModule } from '../../modules/module.js';
import { systemMigrations } from './system.migrations.js';
import { systemRoutes } from './system.routes.js';
import type { AdminContext } from '../admin-context.js';

/**
 * The system module (admins and owners). With the installation role only: `GET /api/system/info`
 * (version, engine, uptime, installation), the periodic jobs (`GET /api/system/jobs`), backups
 * and restarts (`GET /api/system/backups`, `GET /api/system/restarts`), a verified backup made
 * now (`POST /api/system/backups`) and a replay round run now (`POST /api/system/journal/replay`).
 * The whole installation's with the installation role, the caller's tenant's share otherwise:
 * the journal's figures (`GET /api/system/journal`), its writes waiting
 * (`GET /api/system/journal/pending`) and the error lines (`GET /api/system/errors`). The
 * caller's tenant's: `GET /api/system/dead-letters`, `POST /api/system/dead-letters/:id/retry|discard`.
 */
export default defineModule<AdminContext>({
  name: 'system',
  description: 'The installation and its journal: version, jobs, backups, restarts, error lines, dead letters (admins and owners).',
  migrations: systemMigrations,
  routes: systemRoutes,
});
