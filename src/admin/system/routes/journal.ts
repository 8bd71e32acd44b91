import { operatesInstallation, principalOf } from '../../../shared/principal.js';
import { JournalStatusSchema, type JournalStatus } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { TENANT_SHARE_WITHOUT_DATABASE, ageOf } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /journal`: the journal's figures: the installation's for the installation role, the caller's tenant's share otherwise. */
export function journalRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/journal',
    {
      schema: {
        summary: "The journal of writes accepted while the database was down: the installation's (installation role) or the caller's tenant's share",
        tags: ['system'],
        response: { 200: JournalStatusSchema },
      },
      config: TENANT_SHARE_WITHOUT_DATABASE,
    },
    async (request): Promise<JournalStatus> => {
      const principal = principalOf(request);
      const shared = { writable: ctx.journal.writable(), circuit: ctx.circuit.status, circuitOpenedAt: ctx.circuit.openedAt ?? null };
      const lastReplay = ctx.lastReplay();
      if (!operatesInstallation(principal)) {
        const share = ctx.journal.tenantStats(principal.tenantId);
        return {
          scope: 'tenant',
          depth: share.pending,
          oldestPendingAt: share.oldestPendingAt,
          oldestPendingAgeSeconds: ageOf(share.oldestPendingAt),
          deadLetters: share.dead,
          ...shared,
          groupCommits: null,
          appendedSinceStart: null,
          // How many writes the last round applied counts every tenant's: left out.
          lastReplay: lastReplay ? { at: lastReplay.at, outcome: lastReplay.outcome } : null,
        };
      }
      const stats = ctx.journal.stats();
      return {
        scope: 'installation',
        depth: stats.pending,
        oldestPendingAt: stats.oldestPendingAt,
        oldestPendingAgeSeconds: ageOf(stats.oldestPendingAt),
        deadLetters: stats.dead,
        ...shared,
        groupCommits: stats.groupCommits,
        appendedSinceStart: stats.appendedTotal,
        lastReplay: lastReplay ?? null,
      };
    },
  );
}
