import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { listRestarts, recordText } from '../../../ops/restart/restart-report.js';
import { localeFromAcceptLanguage } from '../../../shared/i18n/locale.js';
import { RestartInfoSchema } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { INSTALLATION_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /restarts`: the reports of past `robusto restart`s (installation role). */
export function restartsRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/restarts',
    {
      schema: {
        summary: 'Past safe restarts (robusto restart), newest first (installation role)',
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(RestartInfoSchema) }) },
      },
      config: INSTALLATION_WITHOUT_DATABASE,
    },
    async (request, reply) => {
      const locale = localeFromAcceptLanguage(request.headers['accept-language']);
      void reply.header('content-language', locale);
      return {
        items: (await listRestarts(ctx.config.paths.reportsDir)).map((r) => ({
          startedAt: r.startedAt,
          ok: r.ok,
          failedAt: r.failedAt,
          stopped: r.stopped,
          backup: r.backupDir ? path.basename(r.backupDir) : null,
          warnings: (r.warningTexts ?? r.warnings).map((w) => recordText(locale, w)),
          report: path.basename(r.report),
          steps: (Array.isArray(r.steps) ? r.steps : []).map((s) => ({
            phase: String(s.phase),
            ok: s.ok === true,
            ms: Number(s.ms) || 0,
            detail: recordText(locale, s.detail),
          })),
        })),
      };
    },
  );
}
