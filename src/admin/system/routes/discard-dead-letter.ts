import { Type } from '@sinclair/typebox';
import { principalOf } from '../../../shared/principal.js';
import { IdParams } from '../../../shared/schemas.js';
import { SystemError, deadLetterNotFound } from '../system.errors.js';
import { DiscardBody } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { TENANT_SHARE_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `POST /dead-letters/:id/discard`: discards a dead letter for good, recording who and why. */
export function discardDeadLetterRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.post(
    '/dead-letters/:id/discard',
    {
      schema: {
        summary: 'Give up on a dead letter (who and why are kept)',
        description:
          "Does not honour `Idempotency-Key`: it changes only this machine's journal, never through the write path, and sending it again has no second effect (a dead letter already discarded answers 404).",
        tags: ['system'],
        params: IdParams,
        body: DiscardBody,
        response: { 200: Type.Object({ receipt: Type.String(), status: Type.Literal('discarded') }) },
      },
      config: { ...TENANT_SHARE_WITHOUT_DATABASE, errors: [SystemError.DEAD_LETTER_NOT_FOUND] },
    },
    async (request) => {
      const principal = principalOf(request);
      if (!ctx.journal.discardDead(principal.tenantId, request.params.id, principal.userId, request.body.reason)) throw deadLetterNotFound(request.params.id);
      request.log.warn({ receipt: request.params.id, by: principal.userId, reason: request.body.reason }, 'dead letter discarded');
      return { receipt: request.params.id, status: 'discarded' as const };
    },
  );
}
