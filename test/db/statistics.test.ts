// The planner's statistics after bulk work, on a PostgreSQL without autovacuum (like this test
// server): a restore analyzes what it loaded, and a large journal drain the tables it filled, so
// a page of a list is read from its index instead of sorted from every row.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { coreMigrations } from '../../src/db/migrations/core.migrations.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { restoreBackup } from '../../src/ops/backup/restore.js';
import type { ReplayRound } from '../../src/resilience/replayer.js';
import { refreshStatisticsAfterReplay } from '../../src/resilience/statistics-after-replay.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

/** Students of one tenant: enough that sorting them all costs what reading 20 from the index does not. */
const STUDENTS = 20_000;

async function addStudents(db: Database, tenantId: string, count: number, prefix: string): Promise<void> {
  await sql`
    insert into students (id, tenant_id, name, name_search, birth_date, plan, status, created_at, updated_at)
    select gen_random_uuid(), ${tenantId}::uuid, ${prefix} || i, lower(${prefix}) || i, '2000-01-01', 'Manhã', 'active',
           timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01' + i * interval '1 second'
    from generate_series(1, ${count}) as i`.execute(db.kysely);
}

async function lastAnalyzed(db: Database, table: string): Promise<string | null> {
  const { rows } = await sql<{ at: string | null }>`select last_analyze::text as at from pg_stat_user_tables where relname = ${table}`.execute(db.kysely);
  return rows[0]?.at ?? null;
}

/** The plan PostgreSQL picks for the statements `GET /api/students?limit=20` runs, as the server plans them now. */
async function listPlan(t: TestApp, tenant: TestTenant, recorded: Array<{ sql: string; parameters: readonly unknown[] }>, url: string): Promise<string> {
  recorded.length = 0;
  const response = await call(t, tenant, { method: 'GET', url: '/api/students?limit=20' });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.json().items).toHaveLength(20);
  const list = recorded.find((s) => /from "students"/.test(s.sql) && /limit/i.test(s.sql));
  expect(list, 'the list statement').toBeDefined();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`EXPLAIN ${list?.sql ?? ''}`, list?.parameters as unknown[]);
    return rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

describe('statistics after bulk work on PostgreSQL without autovacuum', () => {
  let source: TestApp;
  let tenant: TestTenant;
  const root = mkdtempSync(path.join(os.tmpdir(), 'robusto-statistics-'));

  beforeAll(async () => {
    source = await buildTestApp({ engine: 'postgres' });
    tenant = await createTenantWithUsers(source, 'stats');
    await addStudents(source.app.db, tenant.id, STUDENTS, 'Aluna ');
  }, 60_000);
  afterAll(async () => {
    await source.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a restore ends with ANALYZE of what it loaded: the first page of the list is read from its index, not sorted from every row', async () => {
    const backup = await createBackup(source.app.db, { root, robustoVersion: 'test' });
    const recorded: Array<{ sql: string; parameters: readonly unknown[] }> = [];
    // The source's key: the tenant's tokens were signed with it.
    const target = await buildTestApp({
      engine: 'postgres',
      skipMigrate: true,
      env: { SECRET_KEY: source.config.secretKey },
      onQuery: (text, parameters) => recorded.push({ sql: text, parameters }),
    });
    try {
      await target.app.registry.migrateSchema(target.app.db, coreMigrations);
      await restoreBackup(target.app.db, backup.dir);
      expect(await target.app.migrate()).toBe(true);
      expect(await lastAnalyzed(target.app.db, 'students')).not.toBeNull();
      const plan = await listPlan(target, tenant, recorded, target.config.databaseUrl as string);
      expect(plan).toMatch(/Index Scan (Backward )?using students_tenant_created/);
      expect(plan).not.toMatch(/Sort/);
    } finally {
      await target.close();
    }
  }, 120_000);

  it('a drain of more than the threshold analyzes the tables it filled, and only those; a smaller one analyzes nothing', async () => {
    const db = source.app.db;
    await sql`analyze`.execute(db.kysely);
    const before = { students: await lastAnalyzed(db, 'students'), customers: await lastAnalyzed(db, 'customers') };
    const listeners: Array<(round: ReplayRound) => void> = [];
    refreshStatisticsAfterReplay({ onRound: (listener) => listeners.push(listener) }, db, source.log, { minWrites: 1_000, delayMs: 1_500 });
    const round = (applied: number) => {
      for (const listener of listeners) listener({ at: new Date().toISOString(), applied, outcome: 'drained' });
    };

    // Rows as a drain writes them: committed by other connections than the one that analyzes.
    await addStudents(db, tenant.id, 1_200, 'Aluno ');
    round(400);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await lastAnalyzed(db, 'students'), 'below the threshold').toBe(before.students);

    round(800);
    const deadline = Date.now() + 10_000;
    while ((await lastAnalyzed(db, 'students')) === before.students && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lastAnalyzed(db, 'students')).not.toBe(before.students);
    expect(await lastAnalyzed(db, 'customers'), 'a table the drain did not fill').toBe(before.customers);
    expect(source.logs.some((l) => l.msg === 'statistics refreshed after a large replay' && (l.tables as string[]).includes('students'))).toBe(true);
  }, 60_000);
});
