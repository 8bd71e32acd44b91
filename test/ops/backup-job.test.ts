// The scheduled backup (BACKUP_SCHEDULE): each run leaves a verified backup in BACKUP_DIR and
// prunes the old ones, never holds the server's writes back while it reads, and an interrupted
// run leaves nothing behind.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { JobDefinition } from '../../src/jobs/job.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { backupJob } from '../../src/ops/backup/backup-job.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { newId } from '../../src/shared/ids.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

const STUDENTS = 20_000;
const DAY_MS = 86_400_000;

describe.each(ENGINES)('scheduled backup on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  let backupDir: string;
  let job: JobDefinition<void>;

  beforeAll(async () => {
    backupDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-scheduled-backups-'));
    t = await buildTestApp({ engine, env: { BACKUP_DIR: backupDir, BACKUP_SCHEDULE: '30 2 * * *', BACKUP_KEEP_DAYS: '7' } });
    tenant = await createTenantWithUsers(t, 'sched');
    // Enough rows that reading them takes far longer than one registration.
    const now = new Date().toISOString();
    for (let i = 0; i < STUDENTS; i += 1_000) {
      const rows = Array.from({ length: 1_000 }, (_, j) => ({
        id: newId(),
        tenant_id: tenant.id,
        name: `Aluno ${i + j}`,
        name_search: `aluno ${i + j}`,
        birth_date: '2000-01-01',
        plan: 'Manhã',
        status: 'active',
        created_at: now,
        updated_at: now,
      }));
      await t.app.db.kysely.insertInto('students').values(rows).execute();
    }
    job = backupJob(t.config, t.app.db, t.log) as JobDefinition<void>;
  }, 60_000);
  afterAll(async () => {
    await t.close();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it("is one of the server's jobs, named core.backup, on the configured schedule", async () => {
    expect((await t.app.jobs.states()).find((s) => s.name === 'core.backup')).toBeDefined();
    expect(job.schedule).toEqual({ cron: '30 2 * * *' });
  });

  it('writes a verified backup into BACKUP_DIR and deletes those older than BACKUP_KEEP_DAYS, keeping the rest', async () => {
    const old = await createBackup(t.app.db, { root: backupDir, robustoVersion: 'test', now: new Date(Date.now() - 10 * DAY_MS) });
    const recent = await createBackup(t.app.db, { root: backupDir, robustoVersion: 'test', now: new Date(Date.now() - 2 * DAY_MS) });
    const report = (await job.run(undefined, new AbortController().signal)) as { dir: string; rows: number; pruned: number };
    expect(path.dirname(report.dir)).toBe(backupDir);
    expect((await verifyBackup(report.dir)).problems).toEqual([]);
    const { count } = (await sql<{ count: number }>`select count(*) as count from students`.execute(t.app.db.kysely)).rows[0] as { count: number };
    const inBackup = (await verifyBackup(report.dir)).manifest.tables.find((table) => table.name === 'students')?.rows;
    expect(inBackup).toBe(Number(count));
    expect(report.pruned).toBe(1);
    expect(existsSync(old.dir)).toBe(false);
    expect(existsSync(recent.dir)).toBe(true);
  });

  it.runIf(engine === 'sqlite')('leaves the server its connection while it reads: on SQLite the backup has a connection of its own', async () => {
    let takenWhileRunning = false;
    let running = true;
    const backup = job.run(undefined, new AbortController().signal).finally(() => {
      running = false;
    });
    // No request is in flight: on SQLite the server's one connection must stay idle throughout.
    while (running) {
      if (t.app.db.poolStats().idle === 0) takenWhileRunning = true;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await backup;
    expect(takenWhileRunning).toBe(false);
  });

  it('never holds a registration back: registrations one after another are each answered, and saved, while it still runs', async () => {
    let running = true;
    const started = performance.now();
    const backup = job.run(undefined, new AbortController().signal).finally(() => {
      running = false;
    });
    const during: Array<{ ms: number; id: string }> = [];
    for (let i = 0; running; i++) {
      const sent = performance.now();
      const response = await call(t, tenant, {
        method: 'POST',
        url: '/api/students',
        body: { name: `Durante o Backup ${i}`, birthDate: '2000-01-01', plan: 'Manhã' },
      });
      expect(response.statusCode).toBe(201);
      if (running) during.push({ ms: performance.now() - sent, id: response.json().id as string });
    }
    await backup;
    const backupMs = performance.now() - started;
    // A write held back until the backup ends would be answered after it: none or one of these.
    expect(during.length, `${during.length} registrations answered during a ${Math.round(backupMs)} ms backup`).toBeGreaterThanOrEqual(3);
    expect(Math.max(...during.map((w) => w.ms))).toBeLessThan(backupMs / 2);
    const saved = await t.app.db.kysely
      .selectFrom('students')
      .select('id')
      .where(
        'id',
        'in',
        during.map((w) => w.id),
      )
      .execute();
    expect(saved).toHaveLength(during.length);
  });

  it('stopped by its signal (timeout, shutdown), it leaves no backup and no partial directory', async () => {
    const before = readdirSync(backupDir).sort();
    const controller = new AbortController();
    const run = job.run(undefined, controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(run).rejects.toThrow();
    expect(readdirSync(backupDir).sort()).toEqual(before);
  });
});

describe('BACKUP_* settings', () => {
  const load = (env: Record<string, string>) => loadConfig({ SECRET_KEY: 'k'.repeat(40), ...env }, { cwd: '/srv/robusto', ignoreDotEnv: true });

  it('default to a daily backup at 02:30 into DATA_DIR/backups, kept 30 days', () => {
    const { config } = load({});
    expect(config.backup).toEqual({ schedule: '30 2 * * *', keepDays: 30 });
    expect(config.paths.backupsDir).toBe('/srv/robusto/data/backups');
  });

  it('"off" turns the job off; a relative BACKUP_DIR is taken from the working directory', () => {
    const { config } = load({ BACKUP_SCHEDULE: 'off', BACKUP_DIR: '../copies' });
    expect(config.backup.schedule).toBeNull();
    expect(config.paths.backupsDir).toBe('/srv/copies');
    expect(backupJob(config, undefined as never, undefined as never)).toBeUndefined();
  });

  it('refuse a schedule that is not a cron expression, saying what is expected', () => {
    expect(() => load({ BACKUP_SCHEDULE: 'every night' })).toThrow(/BACKUP_SCHEDULE: "every night" is not valid; it must be "off", or a cron expression/);
    // Six fields would be seconds first: every hour, not 02:30. 31 February never comes.
    expect(() => load({ BACKUP_SCHEDULE: '30 2 * * * *' })).toThrow(/BACKUP_SCHEDULE: .*\(it has 6 field\(s\), not 5\)/);
    expect(() => load({ BACKUP_SCHEDULE: '0 0 31 2 *' })).toThrow(/BACKUP_SCHEDULE: .*\(it never comes\)/);
    expect(() => load({ BACKUP_KEEP_DAYS: '0' })).toThrow(/BACKUP_KEEP_DAYS/);
  });
});
