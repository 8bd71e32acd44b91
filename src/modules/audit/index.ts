import { defineModule } from '../module.js';
import { auditRoutes } from './audit.routes.js';

export type { AuditEntry } from './audit.schemas.js';

/**
 * The audit module (`/api/audit`): admins and owners read their tenant's audit trail, the
 * `audit_log` rows the command dispatcher writes with every business write. It owns no table,
 * hence no migrations.
 */
export default defineModule({
  name: 'audit',
  description: "Who did what, when, in which request: your tenant's audit trail (admins and owners).",
  routes: auditRoutes,
});
