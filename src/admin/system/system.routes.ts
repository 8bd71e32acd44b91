import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { packageInfo } from '../../config/package-info.js';
import { listBackups } from '../../ops/backup/list.js';
import { recentErrorsOf } from '../../log/recent-errors.js';
import { listRestarts } from '../../ops/restart/restart-report.js';
import { AppError, isAppError } from '../../shared/app-error.js';
import { operatesInstallation, principalOf } from '../../shared/principal.js';
import { maskSecrets } from '../../shared/secrets.js';
import { IdParams, problemResponses } from '../../shared/schemas.js';
import type { ModuleRouter } from '../../modules/module.js';
import type { AdminContext } from '../admin-context.js';
import { deadLetterNotFound } from './system.errors.js';
import { readSettings } from './system.queries.js';
import {
  BackupInfoSchema,
  DeadLetterSchema,
  DeadLettersQuery,
  DiscardBody,
  JobStateSchema,
  JournalStatusSchema,
  type JournalStatus,
  RecentErrorSchema,
  RestartInfoSchema,
  SystemInfoSchema,
  UnreadableBackupSchema,
  type SystemInfo,
} from './system.schemas.js';
import { WriteError } from '../../resilience/write-errors.js';

/** What the routes about the whole installation need: an admin or owner who also holds the installation role. */
const INSTALLATION = { permission: 'system' as const, installation: true };

/** Routes of the system module: facts about this robusto process and installation (the installation role). */
export async function systemRoutes(app: ModuleRouter, ctx: AdminContext): Promise<void> {
  app.get(
    '/info',
    {
      schema: {
        summary: 'Version, engine and uptime of this robusto (installation role)',
        tags: ['system'],
        response: { 200: SystemInfoSchema, ...problemResponses(401, 403) },
      },
      config: INSTALLATION,
    },
    async (): Promise<SystemInfo> => {
      const settings = await readSettings(ctx.db);
      return {
        name: 'robusto',
        version: packageInfo().version,
        engine: ctx.db.engine,
        node: process.version,
        pid: process.pid,
        // This process's start: the moment its clock began, not when this module was imported.
        startedAt: new Date(performance.timeOrigin).toISOString(),
        uptimeSeconds: Math.round(process.uptime()),
        installationId: settings.installation_id ?? '',
        installedAt: settings.installed_at ?? '',
      };
    },
  );
}

/**
 * The operations' admin routes: the backups in `BACKUP_DIR` and the past `robusto restart`s (the
 * installation role), and the answering process's last error log lines (the installation role
 * sees them all, a tenant's admin those about their tenant), newest first. They read files of
 * this machine and memory only, so they answer while the database is down.
 */
export async function operationsRoutes(app: ModuleRouter, ctx: AdminContext): Promise<void> {
  const config = { ...INSTALLATION, withoutDatabase: true };
  app.get(
    '/backups',
    {
      schema: {
        summary: 'The backups in BACKUP_DIR, newest first, and the entries there that cannot be read as one (installation role)',
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(BackupInfoSchema), problems: Type.Array(UnreadableBackupSchema) }), ...problemResponses(401, 403) },
      },
      config,
    },
    async () => {
      const { backups, problems } = await listBackups(ctx.config.paths.backupsDir);
      if (problems.length > 0) ctx.log.warn({ dir: ctx.config.paths.backupsDir, problems }, 'backups directory holds entries that are not readable backups');
      return {
        items: backups.map(({ dir, manifest }) => ({
          name: path.basename(dir),
          createdAt: manifest.createdAt,
          engine: manifest.engine,
          robustoVersion: manifest.robustoVersion,
          tables: manifest.tables.length,
          bytes: manifest.tables.reduce((sum, t) => sum + (t.bytes ?? 0), 0),
          encrypted: manifest.encryption !== undefined,
        })),
        problems,
      };
    },
  );
  app.get(
    '/errors',
    {
      schema: {
        summary:
          "This process's last error and fatal log lines (redacted), newest first: all of them for the installation role, those about the caller's tenant otherwise",
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(RecentErrorSchema) }), ...problemResponses(401, 403) },
      },
      config: { permission: 'system', withoutDatabase: true },
    },
    async (request) => {
      const principal = principalOf(request);
      const items = recentErrorsOf(ctx.log)?.list(operatesInstallation(principal) ? undefined : principal.tenantId) ?? [];
      return { items: items.map(({ time, level, msg, error, requestId, module }) => ({ time, level, msg, error, requestId, module })) };
    },
  );
  app.get(
    '/restarts',
    {
      schema: {
        summary: 'Past safe restarts (robusto restart), newest first (installation role)',
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(RestartInfoSchema) }), ...problemResponses(401, 403) },
      },
      config,
    },
    async () => ({
      items: (await listRestarts(ctx.config.paths.reportsDir)).map((r) => ({
        startedAt: r.startedAt,
        ok: r.ok,
        failedAt: r.failedAt,
        stopped: r.stopped,
        backup: r.backupDir ? path.basename(r.backupDir) : null,
        warnings: r.warnings,
        report: path.basename(r.report),
      })),
    }),
  );
}

/**
 * The jobs' admin route: every periodic job's last run, last success, failures and next run
 * (the installation role: a job works for every tenant at once).
 */
export async function jobRoutes(app: ModuleRouter, ctx: AdminContext): Promise<void> {
  app.get(
    '/jobs',
    {
      schema: {
        summary: 'Periodic jobs: last run, last success, failures in a row, next run (installation role)',
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(JobStateSchema) }), ...problemResponses(401, 403) },
      },
      // Without the database, cluster jobs show this process's last view of them.
      config: { ...INSTALLATION, withoutDatabase: true },
    },
    async () => ({ items: await ctx.jobStates() }),
  );
}

/**
 * The journal's admin routes: its figures (the whole journal for the installation role, the
 * caller's tenant's share otherwise), and the caller's tenant's dead letters to retry or discard.
 */
export async function journalRoutes(app: ModuleRouter, ctx: AdminContext): Promise<void> {
  const config = { permission: 'system' as const, withoutDatabase: true };
  const ageOf = (at: string | null) => (at ? Math.round((Date.now() - Date.parse(at)) / 1000) : null);
  app.get(
    '/journal',
    {
      schema: {
        summary: "The journal of writes accepted while the database was down: the installation's (installation role) or the caller's tenant's share",
        tags: ['system'],
        response: { 200: JournalStatusSchema, ...problemResponses(401, 403) },
      },
      config,
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

  app.get(
    '/dead-letters',
    {
      schema: {
        summary: "My tenant's writes that could not be applied",
        tags: ['system'],
        querystring: DeadLettersQuery,
        response: {
          200: Type.Object({ items: Type.Array(DeadLetterSchema), next: Type.Union([Type.Integer(), Type.Null()]) }),
          ...problemResponses(400, 401, 403),
        },
      },
      config,
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const entries = ctx.journal.deadLetters(principalOf(request).tenantId, limit + 1, request.query.after ?? 0);
      const page = entries.slice(0, limit);
      return {
        items: page.map((e) => ({
          receipt: e.receipt,
          command: e.command,
          acceptedAt: e.acceptedAt,
          requestId: e.requestId,
          userId: e.userId,
          attempts: e.attemptsStarted,
          lastError: e.lastError,
          lastErrorCode: e.lastErrorCode,
          problem: e.response,
          payload: maskSecrets(e.payload, e.secretFields),
        })),
        next: entries.length > limit ? (page[page.length - 1]?.seq ?? null) : null,
      };
    },
  );

  app.post(
    '/dead-letters/:id/retry',
    {
      schema: {
        summary: 'Queue a dead letter again',
        tags: ['system'],
        params: IdParams,
        response: { 200: Type.Object({ receipt: Type.String(), status: Type.Literal('queued') }), ...problemResponses(401, 403, 404, 409) },
      },
      config,
    },
    async (request) => {
      const principal = principalOf(request);
      const entry = ctx.journal.byReceipt(principal.tenantId, request.params.id);
      // A write whose author lost the right to it stays parked while they still lack it.
      const forbidden = entry?.status === 'dead' ? await ctx.checkAuthor(entry) : undefined;
      if (forbidden) {
        throw new AppError(
          WriteError.REPLAY_FORBIDDEN,
          409,
          `Not queued again: ${isAppError(forbidden) ? forbidden.detail : forbidden.message} Discard it, or give the user that right back first.`,
          {
            extensions: isAppError(forbidden) ? (forbidden.extensions ?? {}) : {},
          },
        );
      }
      if (!(await ctx.journal.retryDead(principal.tenantId, request.params.id, principal.userId))) throw deadLetterNotFound(request.params.id);
      request.log.warn({ receipt: request.params.id, by: principal.userId }, 'dead letter queued again');
      return { receipt: request.params.id, status: 'queued' as const };
    },
  );

  app.post(
    '/dead-letters/:id/discard',
    {
      schema: {
        summary: 'Give up on a dead letter (who and why are kept)',
        tags: ['system'],
        params: IdParams,
        body: DiscardBody,
        response: { 200: Type.Object({ receipt: Type.String(), status: Type.Literal('discarded') }), ...problemResponses(400, 401, 403, 404) },
      },
      config,
    },
    async (request) => {
      const principal = principalOf(request);
      if (!ctx.journal.discardDead(principal.tenantId, request.params.id, principal.userId, request.body.reason)) throw deadLetterNotFound(request.params.id);
      request.log.warn({ receipt: request.params.id, by: principal.userId, reason: request.body.reason }, 'dead letter discarded');
      return { receipt: request.params.id, status: 'discarded' as const };
    },
  );
}
