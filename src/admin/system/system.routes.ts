import type { ModuleRouter } from '../../modules/module.js';
import type { AdminContext } from '../admin-context.js';
import { backupNowRoute } from './routes/backup-now.js';
import { backupsRoute } from './routes/backups.js';
import { deadLettersRoute } from './routes/dead-letters.js';
import { discardDeadLetterRoute } from './routes/discard-dead-letter.js';
import { recentErrorsRoute } from './routes/errors.js';
import { infoRoute } from './routes/info.js';
import { jobsRoute } from './routes/jobs.js';
import { journalRoute } from './routes/journal.js';
import { pendingWritesRoute } from './routes/pending-writes.js';
import { replayNowRoute } from './routes/replay-now.js';
import { restartsRoute } from './routes/restarts.js';
import { retryDeadLetterRoute } from './routes/retry-dead-letter.js';

/** Routes of the system module, one file each (`routes/`), in the order `/docs` lists them. */
const ROUTES: ReadonlyArray<(app: ModuleRouter, ctx: AdminContext) => void> = [
  infoRoute,
  journalRoute,
  pendingWritesRoute,
  replayNowRoute,
  deadLettersRoute,
  retryDeadLetterRoute,
  discardDeadLetterRoute,
  jobsRoute,
  backupsRoute,
  backupNowRoute,
  recentErrorsRoute,
  restartsRoute,
];

/** Registers every route of the system module. */
export async function systemRoutes(app: ModuleRouter, ctx: AdminContext): Promise<void> {
  for (const route of ROUTES) route(app, ctx);
}
