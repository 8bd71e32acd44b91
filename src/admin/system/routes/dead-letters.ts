import { Type } from '@sinclair/typebox';
import { localeOfRequest, storedProblemIn } from '../../../http/problem.js';
import { principalOf } from '../../../shared/principal.js';
import { maskSecrets } from '../../../shared/secrets.js';
import { DeadLetterSchema, DeadLettersQuery } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { TENANT_SHARE_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /dead-letters`: the caller's tenant's dead letters, oldest first, their secrets masked. */
export function deadLettersRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/dead-letters',
    {
      schema: {
        summary: "My tenant's writes that could not be applied",
        tags: ['system'],
        querystring: DeadLettersQuery,
        response: {
          200: Type.Object({ items: Type.Array(DeadLetterSchema), next: Type.Union([Type.Integer(), Type.Null()]) }),
        },
      },
      config: TENANT_SHARE_WITHOUT_DATABASE,
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const entries = ctx.journal.deadLetters(principalOf(request).tenantId, limit + 1, request.query.after ?? 0);
      const page = entries.slice(0, limit);
      const locale = localeOfRequest(request);
      return {
        items: page.map((e) => {
          const problem = storedProblemIn(locale, e.response) as { detail?: unknown } | null;
          return {
            receipt: e.receipt,
            command: e.command,
            acceptedAt: e.acceptedAt,
            requestId: e.requestId,
            userId: e.userId,
            attempts: e.attemptsStarted,
            lastError: typeof problem?.detail === 'string' ? problem.detail : e.lastError,
            lastErrorCode: e.lastErrorCode,
            problem,
            payload: maskSecrets(e.payload, e.secretFields),
          };
        }),
        next: entries.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
      };
    },
  );
}
