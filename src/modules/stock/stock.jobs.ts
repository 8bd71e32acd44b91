import { defineJob } from '../../jobs/job.js';
import { isAppError } from '../../shared/app-error.js';
import { newId } from '../../shared/ids.js';
import type { ModuleContext } from '../module.js';
import { moveStock } from './stock.commands.js';
import { StockError } from './stock.errors.js';
import { lotsPastExpiry, todayUtc } from './stock.queries.js';

/** Lots read per round of the expire-lots job. */
export const EXPIRE_BATCH_SIZE = 100;

/**
 * Writes off every lot past its expiry date (before `today`), of every tenant: each one an
 * `expire` movement through the dispatcher, in its tenant, with its audit row, exactly as an
 * admin's would be. Stops between lots once `signal` aborts. Returns how many were written off.
 */
export async function expireLots(ctx: ModuleContext, signal: AbortSignal, today: string = todayUtc()): Promise<number> {
  const requestId = `job:stock.expire-lots:${newId()}`;
  let expired = 0;
  for (;;) {
    const lots = await lotsPastExpiry(ctx.db, today, EXPIRE_BATCH_SIZE);
    for (const lot of lots) {
      signal.throwIfAborted();
      try {
        await ctx.dispatch(
          moveStock,
          { lotCode: lot.code, type: 'expire', reason: `expired on ${lot.expires_on}` },
          { tenantId: lot.tenant_id, userId: null, requestId, fingerprint: 'job' },
        );
        expired += 1;
      } catch (error) {
        // Written off by someone else meanwhile: nothing left to do for it.
        if (!(isAppError(error) && error.code === StockError.LOT_EXPIRED)) throw error;
      }
    }
    if (lots.length < EXPIRE_BATCH_SIZE) return expired;
  }
}

/** Daily, five minutes past midnight (and at start when that was missed): lots past their date are written off. */
export const expireLotsJob = defineJob<ModuleContext>({
  name: 'expire-lots',
  schedule: { cron: '5 0 * * *' },
  timeoutMs: 10 * 60_000,
  run: async (ctx, signal) => ({ expired: await expireLots(ctx, signal) }),
});
