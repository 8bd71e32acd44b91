import { principalOf } from '../../shared/principal.js';
import { PageOf } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { listAudit } from './audit.queries.js';
import { AuditEntrySchema, ListAuditQuery } from './audit.schemas.js';

const tags = ['audit'];

/** Routes of the audit module: a read-only view of the caller's tenant's audit trail. */
export async function auditRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  app.get(
    '/',
    {
      schema: {
        summary: 'Who did what, when, in which request (newest first)',
        tags,
        querystring: ListAuditQuery,
        response: { 200: PageOf(AuditEntrySchema) },
      },
      config: { permission: 'audit' },
    },
    async (request) => listAudit(ctx.db, principalOf(request).tenantId, request.query),
  );
}
