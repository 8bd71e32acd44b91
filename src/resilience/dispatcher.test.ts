import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { createDb } from '../db/create-db.js';
import type { Database } from '../db/database.js';
import { migrateOwner } from '../db/migrate.js';
import { coreMigrations } from '../db/migrations/core.migrations.js';
import { defineCommand } from './command.js';
import { loseTheCommitAnswer } from '../../test/support/lost-commit.js';
import { Dispatcher } from './dispatcher.js';
import { WriteError } from './write-errors.js';

const opened: Database[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function sqliteDb(): Promise<Database> {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'robusto-dispatcher-'));
  const { config } = loadConfig({ DATA_DIR: cwd }, { cwd, ignoreDotEnv: true });
  const db = createDb(config, pino({ level: 'silent' }));
  opened.push(db);
  await migrateOwner(db, 'core', coreMigrations);
  return db;
}

describe('Dispatcher', () => {
  it('does not retry a write whose COMMIT answer was lost: 503 ERR_WRITE_OUTCOME_UNKNOWN, applied once', async () => {
    const db = await sqliteDb();
    let runs = 0;
    const count = defineCommand<{ n: number }, { n: number }>({
      name: 'test.count',
      version: 1,
      async handler(_tx, payload) {
        runs++;
        return { status: 201, body: payload, entity: 'test', entityId: String(payload.n) };
      },
    });
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    loseTheCommitAnswer(db);
    await expect(dispatcher.dispatch(count, { n: 1 }, { tenantId: 't', userId: null, requestId: 'r1', fingerprint: '' })).rejects.toMatchObject({
      code: WriteError.WRITE_OUTCOME_UNKNOWN,
      status: 503,
    });
    expect(runs).toBe(1);
    const audit = await db.kysely.selectFrom('audit_log').selectAll().execute();
    expect(audit).toHaveLength(1);
  });

  it('retries a transient error raised before the commit', async () => {
    const db = await sqliteDb();
    let runs = 0;
    const flaky = defineCommand<Record<string, never>, { ok: true }>({
      name: 'test.flaky',
      version: 1,
      async handler() {
        runs++;
        if (runs < 3) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        return { status: 201, body: { ok: true }, entity: 'test', entityId: 'x' };
      },
    });
    const result = await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatch(flaky, {}, { tenantId: 't', userId: null, requestId: 'r2', fingerprint: '' });
    expect(result).toMatchObject({ status: 201, replayed: false });
    expect(runs).toBe(3);
    expect(await db.kysely.selectFrom('audit_log').selectAll().execute()).toHaveLength(1);
  });
});
