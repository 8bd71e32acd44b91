// GET /api/system/backups and /api/system/restarts: what an admin with the installation role sees
// of the backups and the safe restarts of the installation, newest first; staff are refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/ops/backup/backup.js';
import { writeRestartReport } from '../../src/ops/restart/restart-report.js';
import { text } from '../../src/shared/i18n/translate.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

const DAY_MS = 86_400_000;

describe.each(ENGINES)('operations routes on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  let backupDir: string;

  beforeAll(async () => {
    backupDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-ops-routes-'));
    t = await buildTestApp({ engine, env: { BACKUP_DIR: backupDir, BACKUP_SCHEDULE: 'off' } });
    tenant = await createTenantWithUsers(t, 'ops');
    await setInstallationRole(t, tenant, 'admin');
    await setInstallationRole(t, tenant, 'owner');
  });
  afterAll(async () => {
    await t.close();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('lists the backups in BACKUP_DIR, newest first, saying which are encrypted, and ignores anything else there', async () => {
    const older = await createBackup(t.app.db, { root: backupDir, robustoVersion: 'test', now: new Date(Date.now() - 2 * DAY_MS) });
    const newer = await createBackup(t.app.db, { root: backupDir, robustoVersion: 'test', encryptionKey: 'a key of sixteen chars' });
    writeFileSync(path.join(backupDir, 'notes.txt'), 'not a backup');
    const response = await call(t, tenant, { method: 'GET', url: '/api/system/backups', as: 'admin' });
    expect(response.statusCode, response.body).toBe(200);
    const { items } = response.json() as { items: Array<Record<string, unknown>> };
    expect(items.map((b) => b.name)).toEqual([path.basename(newer.dir), path.basename(older.dir)]);
    expect(items[0]).toMatchObject({
      engine,
      robustoVersion: 'test',
      encrypted: true,
      tables: newer.manifest.tables.length,
      createdAt: newer.manifest.createdAt,
    });
    expect(items[1]).toMatchObject({ encrypted: false, bytes: older.manifest.tables.reduce((sum, table) => sum + table.bytes, 0) });
  });

  it('lists the safe restarts from their records, newest first', async () => {
    const base = { stopped: false, counts: [], latencyMs: { health: [], api: {} }, report: '' };
    writeRestartReport(
      t.config,
      { ...base, ok: false, steps: [{ phase: 'backup', ok: false, detail: 'disk full', ms: 3 }], warnings: [], backupDir: undefined },
      new Date(Date.now() - DAY_MS),
    );
    writeRestartReport(
      t.config,
      {
        ...base,
        ok: true,
        stopped: true,
        steps: [
          { phase: 'find', ok: true, detail: text('restart.find.found', { pid: '4242' }), ms: 2 },
          { phase: 'check', ok: true, detail: 'fine', ms: 9 },
        ],
        warnings: [text('restart.journal.leftWarning', { left: 1 })],
        backupDir: '/x/robusto-backup-1',
      },
      new Date(),
    );
    const response = await call(t, tenant, { method: 'GET', url: '/api/system/restarts', as: 'owner' });
    expect(response.statusCode, response.body).toBe(200);
    const { items } = response.json() as { items: Array<Record<string, unknown>> };
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({
      ok: true,
      failedAt: null,
      stopped: true,
      backup: 'robusto-backup-1',
      warnings: ['1 write(s) still waited in the journal at the stop; they are on disk and the new server applies them'],
      report: expect.stringMatching(/^restart-\d{8}T\d{9}Z\.md$/),
      steps: [
        { phase: 'find', ok: true, ms: 2, detail: 'supervisor pid 4242' },
        { phase: 'check', ok: true, ms: 9, detail: 'fine' },
      ],
    });
    expect(items[1]).toMatchObject({ ok: false, failedAt: 'backup', stopped: false, backup: null });
    expect(items[1]?.steps).toEqual([{ phase: 'backup', ok: false, ms: 3, detail: 'disk full' }]);

    // The same reports read in Portuguese: their texts in the reader's language.
    const portuguese = await call(t, tenant, { method: 'GET', url: '/api/system/restarts', as: 'owner', headers: { 'accept-language': 'pt-BR' } });
    expect(portuguese.headers['content-language']).toBe('pt-BR');
    const [newest] = (portuguese.json() as { items: Array<{ warnings: string[]; steps: Array<{ detail: string }> }> }).items;
    expect(newest?.warnings).toEqual(['1 escrita(s) ainda esperavam no diário na parada; estão em disco e o novo servidor as aplica']);
    expect(newest?.steps[0]?.detail).toBe('supervisor pid 4242');
  });

  it('lists the last error lines of the process, newest first, redacted, without the info lines', async () => {
    t.log.info('an ordinary line');
    t.log.error({ err: new Error('CPF 529.982.247-25 refused'), requestId: 'req-1' }, 'registration failed');
    t.log.child({ module: 'stock' }).fatal('stock is on fire');
    const response = await call(t, tenant, { method: 'GET', url: '/api/system/errors', as: 'admin' });
    expect(response.statusCode, response.body).toBe(200);
    const { items } = response.json() as { items: Array<Record<string, unknown>> };
    expect(items.slice(0, 2)).toEqual([
      { time: expect.any(String), level: 'fatal', msg: 'stock is on fire', error: null, requestId: null, module: 'stock' },
      {
        time: expect.any(String),
        level: 'error',
        msg: 'registration failed',
        error: expect.stringMatching(/^CPF \S+ refused$/),
        requestId: 'req-1',
        module: null,
      },
    ]);
    expect(JSON.stringify(items)).not.toContain('529.982.247-25');
    expect(JSON.stringify(items)).not.toContain('an ordinary line');
  });

  it('refuses staff (403 naming the system permission)', async () => {
    for (const url of ['/api/system/backups', '/api/system/restarts', '/api/system/errors']) {
      const response = await call(t, tenant, { method: 'GET', url, as: 'staff' });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ permission: 'system' });
    }
  });
});
