import { AppError } from '../../../shared/app-error.js';
import { text } from '../../../shared/i18n/translate.js';
import { SystemError } from '../system.errors.js';
import { ReplayNowSchema, type ReplayNow } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { INSTALLATION_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `POST /journal/replay`: one replay round of the journal now, instead of waiting for the server's next (installation role). */
export function replayNowRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.post(
    '/journal/replay',
    {
      schema: {
        summary: 'Apply the writes waiting in the journal now: one replay round, its outcome and what is left (installation role)',
        tags: ['system'],
        response: { 200: ReplayNowSchema },
      },
      // Answers while the database is down: the round then ends 'blocked', which is the answer.
      config: { ...INSTALLATION_WITHOUT_DATABASE, errors: [SystemError.REPLAY_NOW_FAILED] },
    },
    async (request): Promise<ReplayNow> => {
      let round: Awaited<ReturnType<AdminContext['replayNow']>>;
      try {
        round = await ctx.replayNow();
      } catch (error) {
        throw new AppError(SystemError.REPLAY_NOW_FAILED, 500, text('system.replayNowFailed'), { cause: error });
      }
      const stats = ctx.journal.stats();
      request.log.info({ outcome: round.outcome, applied: round.applied, pending: stats.pending }, 'journal replay asked for by an admin');
      return { outcome: round.outcome, applied: round.applied, pending: stats.pending, deadLetters: stats.dead };
    },
  );
}
