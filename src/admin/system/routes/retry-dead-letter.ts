import { Type } from '@sinclair/typebox';
import { isAppError } from '../../../shared/app-error.js';
import { principalOf } from '../../../shared/principal.js';
import { IdParams } from '../../../shared/schemas.js';
import { SystemError, deadLetterAuthorLacksRight, deadLetterNotFound } from '../system.errors.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { TENANT_SHARE_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `POST /dead-letters/:id/retry`: queues a dead letter again, unless its author still lacks the right to it. */
export function retryDeadLetterRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.post(
    '/dead-letters/:id/retry',
    {
      schema: {
        summary: 'Queue a dead letter again',
        description:
          "Does not honour `Idempotency-Key`: it changes only this machine's journal, never through the write path, and sending it again has no second effect (the write is queued once; a second retry answers 404 while it waits, or queues it again only if it became a dead letter again).",
        tags: ['system'],
        params: IdParams,
        response: { 200: Type.Object({ receipt: Type.String(), status: Type.Literal('queued') }) },
      },
      config: { ...TENANT_SHARE_WITHOUT_DATABASE, errors: [SystemError.DEAD_LETTER_NOT_FOUND, SystemError.DEAD_LETTER_AUTHOR_LACKS_RIGHT] },
    },
    async (request) => {
      const principal = principalOf(request);
      const entry = ctx.journal.byReceipt(principal.tenantId, request.params.id);
      // A write whose author lost the right to it stays parked while they still lack it.
      const forbidden = entry?.status === 'dead' ? await ctx.checkAuthor(entry) : undefined;
      if (forbidden) {
        const reason = isAppError(forbidden) ? (forbidden.detailText ?? forbidden.detail) : forbidden.message;
        throw deadLetterAuthorLacksRight(reason, isAppError(forbidden) ? (forbidden.extensions ?? {}) : {});
      }
      if (!(await ctx.journal.retryDead(principal.tenantId, request.params.id, principal.userId))) throw deadLetterNotFound(request.params.id);
      request.log.warn({ receipt: request.params.id, by: principal.userId }, 'dead letter queued again');
      return { receipt: request.params.id, status: 'queued' as const };
    },
  );
}
