import { localeOfRequest, storedProblemIn } from '../../http/problem.js';
import type { JournalEntry } from '../../resilience/journal/entry.js';
import type { Locale } from '../../shared/i18n/locale.js';
import { principalOf } from '../../shared/principal.js';
import { IdParams } from '../../shared/schemas.js';
import type { ModuleRouter } from '../../modules/module.js';
import type { AdminContext } from '../admin-context.js';
import { receiptNotFound } from './receipts.errors.js';
import { ReceiptSchema, type Receipt } from './receipts.schemas.js';

function toReceipt(entry: JournalEntry, locale: Locale): Receipt {
  const base = { receipt: entry.receipt, command: entry.command, acceptedAt: entry.acceptedAt };
  switch (entry.status) {
    case 'pending':
      return { ...base, status: 'queued' };
    case 'applied':
    case 'duplicate':
      return { ...base, status: 'applied', result: { status: entry.statusCode ?? 200, body: entry.response } };
    case 'dead':
      return { ...base, status: 'dead', problem: storedProblemIn(locale, entry.response) as Receipt['problem'] };
    case 'discarded':
      return { ...base, status: 'discarded' };
  }
}

/** `GET /api/receipts/:id`: what became of a write answered 202. */
export async function receiptsRoutes(app: ModuleRouter, ctx: AdminContext): Promise<void> {
  app.get(
    '/:id',
    {
      schema: {
        summary: 'What became of a write answered 202',
        tags: ['receipts'],
        params: IdParams,
        response: { 200: ReceiptSchema },
      },
      config: { withoutDatabase: true },
    },
    async (request) => {
      const entry = ctx.journal.byReceipt(principalOf(request).tenantId, request.params.id);
      if (!entry) throw receiptNotFound(request.params.id);
      return toReceipt(entry, localeOfRequest(request));
    },
  );
}
