import { sql } from 'kysely';
import { createTokenService } from '../../../identity/index.js';
import { Journal } from '../../../resilience/journal/journal.js';
import { required, request, RESTART_LATENCY_SAMPLES, RestartStepError, rowCounts, type PhaseResult, type RestartRun } from '../restart-run.js';
import { text, type LocalText } from '../../../shared/i18n/translate.js';

/**
 * Tables whose rows robusto deletes by itself (expired idempotency keys, pruned by a job that
 * may run as the new server starts): a shrink there is never taken for a loss.
 */
const PRUNED_TABLES = new Set(['idempotency_keys']);

/**
 * Checks the new server: no table holds fewer rows than at the stop (unless users have written
 * since the start: then a warning); a customer created, read and deleted through the API as the
 * first owner (only a read while writes wait in the journal); `/health` latency.
 */
export async function check(run: RestartRun): Promise<PhaseResult> {
  const { db, outcome } = run;
  const atStop = required(run.atStop, 'the row counts at the stop');
  const backup = required(run.backup, 'the backup');
  const after = await rowCounts(db);
  const byName = new Map(backup.tables.map((t) => [t.name, t.rows]));
  const fewer: LocalText[] = [];
  for (const table of [...new Set([...atStop.keys(), ...after.keys()])].sort()) {
    const counts = { table, backup: byName.get(table), atStop: atStop.get(table) ?? 0, afterStart: after.get(table) };
    outcome.counts.push(counts);
    if (!PRUNED_TABLES.has(table) && (counts.afterStart ?? 0) < counts.atStop)
      fewer.push(text('restart.check.fewerRows', { table, atStop: counts.atStop, now: counts.afterStart ?? 0 }));
  }
  if (fewer.length > 0) {
    // Users may already have deleted something through the new server: every write leaves an audit row.
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from audit_log where created_at >= ${required(run.startedAt, 'the start')}`.execute(
      db.kysely,
    );
    if (Number(rows[0]?.n ?? 0) === 0) {
      throw new RestartStepError(text('restart.check.lostRows', { tables: fewer, backup: String(outcome.backupDir) }));
    }
    outcome.warnings.push(text('restart.check.fewerWarning', { tables: fewer }));
  }
  const api = await apiCheck(run);
  for (let i = 0; i < RESTART_LATENCY_SAMPLES; i++) {
    const health = await request(`${run.base}/health`);
    if (health?.status !== 200) throw new RestartStepError(text('restart.check.healthFailed', { status: statusOf(health) }));
    outcome.latencyMs.health.push(health.ms);
  }
  const sorted = [...outcome.latencyMs.health].sort((a, b) => a - b);
  return {
    detail: text('restart.check.done', {
      rows: fewer.length === 0 ? text('restart.check.noRowLost') : text('restart.check.seeWarning'),
      api,
      ms: sorted[Math.floor(sorted.length / 2)] ?? 0,
    }),
  };
}

/** The status an answer had, or "nothing" when none came. */
function statusOf(answer: { status: number } | undefined): string | LocalText {
  return answer ? String(answer.status) : text('restart.nothing');
}

/**
 * A customer created, read and deleted through the API as the first active owner (its audit
 * rows stay, naming the check). While writes wait in the journal a new write would be queued
 * behind them (202), so only a read is checked then. Returns what was checked.
 */
async function apiCheck(run: RestartRun): Promise<LocalText> {
  const { db, config, base, outcome } = run;
  const owner = await db.kysely
    .selectFrom('users')
    .select(['id', 'tenant_id', 'token_epoch'])
    .where('role', '=', 'owner')
    .where('active', '=', 1)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (!owner) throw new RestartStepError(text('restart.check.noOwner'));
  const { token } = createTokenService(config.secretKey).sign({
    sub: owner.id as string,
    tid: owner.tenant_id as string,
    role: 'owner',
    ep: Number(owner.token_epoch),
  });
  const call = async (name: string, method: string, url: string, body?: unknown) => {
    const answer = await request(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (answer) outcome.latencyMs.api[name] = answer.ms;
    return answer;
  };
  const journal = new Journal(config.paths.dataDir, config.journal);
  const waiting = journal.stats().pending;
  journal.close();
  if (waiting > 0) {
    const list = await call('list customers', 'GET', '/api/customers?limit=1');
    if (list?.status !== 200) throw new RestartStepError(text('restart.check.listFailed', { status: statusOf(list) }));
    return text('restart.check.listedOnly', { waiting });
  }
  const created = await call('create a customer', 'POST', '/api/customers', {
    kind: 'company',
    name: 'robusto restart check',
    notes: 'created and deleted by robusto restart',
  });
  if (created?.status === 202) {
    throw new RestartStepError(text('restart.check.queued'));
  }
  if (created?.status !== 201) throw new RestartStepError(text('restart.check.createFailed', { status: statusOf(created), body: created?.body ?? '' }));
  const { id } = JSON.parse(created.body) as { id: string };
  const read = await call('read a customer', 'GET', `/api/customers/${id}`);
  if (read?.status !== 200) throw new RestartStepError(text('restart.check.readFailed', { status: statusOf(read) }));
  const deleted = await call('delete a customer', 'DELETE', `/api/customers/${id}`);
  if (deleted?.status !== 200) throw new RestartStepError(text('restart.check.deleteFailed', { status: statusOf(deleted) }));
  return text('restart.check.apiDone');
}
