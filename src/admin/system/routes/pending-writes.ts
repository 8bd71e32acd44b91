import { Type } from '@sinclair/typebox';
import { operatesInstallation, principalOf } from '../../../shared/principal.js';
import { maskSecrets } from '../../../shared/secrets.js';
import { PendingWriteSchema, PendingWritesQuery } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { TENANT_SHARE_WITHOUT_DATABASE, ageOf } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /journal/pending`: the writes waiting in the journal, oldest first, their secrets masked: every tenant's for the installation role, the caller's tenant's otherwise. */
export function pendingWritesRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/journal/pending',
    {
      schema: {
        summary: "Writes waiting in the journal, oldest first, secrets masked: every tenant's (installation role) or the caller's tenant's",
        tags: ['system'],
        querystring: PendingWritesQuery,
        response: {
          200: Type.Object({ items: Type.Array(PendingWriteSchema), next: Type.Union([Type.Integer(), Type.Null()]) }),
        },
      },
      config: TENANT_SHARE_WITHOUT_DATABASE,
    },
    async (request) => {
      const principal = principalOf(request);
      const limit = request.query.limit ?? 50;
      const tenantId = operatesInstallation(principal) ? undefined : principal.tenantId;
      const entries = ctx.journal.pendingOf(tenantId, limit + 1, request.query.after ?? 0);
      const page = entries.slice(0, limit);
      return {
        items: page.map((e) => ({
          receipt: e.receipt,
          tenantId: e.tenantId,
          command: e.command,
          acceptedAt: e.acceptedAt,
          ageSeconds: ageOf(e.acceptedAt) ?? 0,
          requestId: e.requestId,
          userId: e.userId,
          attempts: e.attemptsStarted,
          lastError: e.lastError,
          payload: maskSecrets(e.payload, e.secretFields),
        })),
        next: entries.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
      };
    },
  );
}
