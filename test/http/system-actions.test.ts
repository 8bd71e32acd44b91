// The admin console's actions, through the API: the writes waiting in the journal (each tenant's
// own, secrets masked), a replay round run now and a verified backup made now. Both actions are
// the installation's: anyone else gets a 403 problem. A backup asked for while another is being
// made gets a 409 problem; a lock left by a process that died is taken over.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_NOW_LOCK } from '../../src/ops/backup/backup-now.js';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { REPLAY_LEASE } from '../../src/resilience/replayer.js';
import { expectScenario } from '../support/api.js';
import { createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

describe.each(ENGINES)('system actions on %s', (engine) => {
  let t: TestApp;
  /** Its owner holds the installation role. */
  let host: TestTenant;
  /** Another business on the same installation. */
  let guest: TestTenant;
  let counter = 0;

  /** Journals a student registration of `tenant`, as a write accepted while the database was down. */
  const journal = (tenant: TestTenant, name: string, extra: Record<string, unknown> = {}) =>
    t.app.journal.append({
      tenantId: tenant.id,
      userId: tenant.userIds.staff,
      idempotencyKey: `system-actions-${++counter}`,
      fingerprint: 'f',
      command: 'students.register',
      commandVersion: 1,
      payload: { name, birthDate: '2000-01-01', plan: 'Manhã', ...extra },
      requestId: `system-actions-${counter}`,
      secretFields: ['plan'],
    });
  const studentsNamed = async (name: string) =>
    (
      await t.app.db.kysely
        .selectFrom('students' as never)
        .select('name' as never)
        .where('name' as never, '=', name as never)
        .execute()
    ).length;

  beforeAll(async () => {
    t = await buildTestApp({ engine, env: { BACKUP_SCHEDULE: 'off' } });
    host = await createTenantWithUsers(t, 'acoes');
    guest = await createTenantWithUsers(t, 'visita');
    await setInstallationRole(t, host, 'owner');
  });
  afterAll(() => t.close());

  it.each([
    ['POST', '/api/system/journal/replay'],
    ['POST', '/api/system/backups'],
  ] as const)('%s %s: 403 problem for staff, and for an admin or owner without the installation role', async (method, url) => {
    await expectScenario(t, host, { name: 'staff', method, url, as: 'staff', status: 403 }, expect);
    await expectScenario(t, host, { name: 'admin', method, url, as: 'admin', status: 403, code: 'ERR_INSTALLATION_ROLE_REQUIRED' }, expect);
    await expectScenario(t, guest, { name: 'guest owner', method, url, as: 'owner', status: 403, code: 'ERR_INSTALLATION_ROLE_REQUIRED' }, expect);
    await expectScenario(t, host, { name: 'no token', method, url, as: 'anonymous', status: 401 }, expect);
  });

  it("lists the writes waiting, oldest first, secrets masked: every tenant's for the installation role, a tenant admin's own", async () => {
    const first = await journal(host, 'Espera Um');
    const second = await journal(guest, 'Espera Dois');
    const all = await expectScenario(t, host, { name: 'installation', method: 'GET', url: '/api/system/journal/pending', as: 'owner', status: 200 }, expect);
    expect(all.json().items).toEqual([
      expect.objectContaining({
        receipt: first,
        tenantId: host.id,
        command: 'students.register',
        payload: expect.objectContaining({ name: 'Espera Um', plan: '[REDACTED]' }),
      }),
      expect.objectContaining({ receipt: second, tenantId: guest.id, ageSeconds: expect.any(Number), attempts: 0 }),
    ]);
    expect(all.body).not.toContain('Manhã');
    const own = await expectScenario(t, guest, { name: 'tenant admin', method: 'GET', url: '/api/system/journal/pending', as: 'admin', status: 200 }, expect);
    expect(own.json().items.map((i: { receipt: string }) => i.receipt)).toEqual([second]);
    const paged = await expectScenario(t, host, { name: 'page', method: 'GET', url: '/api/system/journal/pending?limit=1', as: 'owner', status: 200 }, expect);
    expect(paged.json()).toMatchObject({ items: [{ receipt: first }], next: expect.any(Number) });
    await expectScenario(t, host, { name: 'bad limit', method: 'GET', url: '/api/system/journal/pending?limit=0', as: 'owner', status: 400 }, expect);
    await expectScenario(t, host, { name: 'staff', method: 'GET', url: '/api/system/journal/pending', as: 'staff', status: 403 }, expect);
  });

  it('replays now: busy while another process holds the replay lease, then drained with what it applied and nothing left, one round for two asked at once', async () => {
    expect(t.app.journal.stats().pending).toBe(2);
    expect(t.app.journal.acquireLease(REPLAY_LEASE, 'another-host|1|x', 60_000)).toBe(true);
    const busy = await expectScenario(t, host, { name: 'busy', method: 'POST', url: '/api/system/journal/replay', as: 'owner', status: 200 }, expect);
    expect(busy.json()).toEqual({ outcome: 'busy', applied: 0, pending: 2, deadLetters: 0 });
    t.app.journal.releaseLease(REPLAY_LEASE, 'another-host|1|x');

    // Two asked for at once (two admins, or the server's own round): one round, and both answer it.
    let rounds = 0;
    t.app.replayer.onRound(() => rounds++);
    const both = await Promise.all(
      ['first', 'second'].map((name) => expectScenario(t, host, { name, method: 'POST', url: '/api/system/journal/replay', as: 'owner', status: 200 }, expect)),
    );
    for (const drained of both) expect(drained.json()).toEqual({ outcome: 'drained', applied: 2, pending: 0, deadLetters: 0 });
    expect(rounds).toBe(1);
    expect(await studentsNamed('Espera Um')).toBe(1);
    expect(await studentsNamed('Espera Dois')).toBe(1);
    const empty = await expectScenario(t, host, { name: 'empty', method: 'GET', url: '/api/system/journal/pending', as: 'owner', status: 200 }, expect);
    expect(empty.json().items).toEqual([]);
  });

  it('replays now: blocked on a write whose module is not loaded, which stays waiting', async () => {
    await t.app.journal.append({
      tenantId: host.id,
      userId: null,
      idempotencyKey: 'system-actions-unknown',
      fingerprint: 'f',
      command: 'nowhere.unknown',
      commandVersion: 1,
      payload: {},
      requestId: 'system-actions-unknown',
    });
    const blocked = await expectScenario(t, host, { name: 'blocked', method: 'POST', url: '/api/system/journal/replay', as: 'owner', status: 200 }, expect);
    expect(blocked.json()).toEqual({ outcome: 'blocked', applied: 0, pending: 1, deadLetters: 0 });
  });

  it('backs up now: 201 with a verified backup, listed, that reads back', async () => {
    const made = await expectScenario(t, host, { name: 'backup', method: 'POST', url: '/api/system/backups', as: 'owner', status: 201 }, expect);
    const body = made.json();
    expect(body).toMatchObject({
      name: expect.stringMatching(/^robusto-backup-/),
      verified: true,
      encrypted: false,
      tables: expect.any(Number),
      seconds: expect.any(Number),
    });
    expect(body.rows).toBeGreaterThan(0);
    const dir = path.join(t.config.paths.backupsDir, body.name);
    expect((await verifyBackup(dir)).problems).toEqual([]);
    const listed = await expectScenario(t, host, { name: 'list', method: 'GET', url: '/api/system/backups', as: 'owner', status: 200 }, expect);
    expect(listed.json().items.map((b: { name: string }) => b.name)).toContain(body.name);
    expect(existsSync(path.join(t.config.paths.backupsDir, BACKUP_NOW_LOCK))).toBe(false);
  });

  it('backs up now: 409 problem while another backup is being made, and takes over the lock of a process that died', async () => {
    const lock = path.join(t.config.paths.backupsDir, BACKUP_NOW_LOCK);
    mkdirSync(t.config.paths.backupsDir, { recursive: true });
    const startedAt = new Date().toISOString();
    writeFileSync(lock, JSON.stringify({ holder: `${os.hostname()}|${process.pid}`, startedAt }));
    const refused = await expectScenario(
      t,
      host,
      { name: 'running', method: 'POST', url: '/api/system/backups', as: 'owner', status: 409, code: 'ERR_BACKUP_RUNNING' },
      expect,
    );
    expect(refused.json()).toMatchObject({ startedAt, detail: expect.stringContaining(startedAt) });
    const inPortuguese = await expectScenario(
      t,
      host,
      {
        name: 'running, pt-BR',
        method: 'POST',
        url: '/api/system/backups',
        as: 'owner',
        headers: { 'accept-language': 'pt-BR' },
        status: 409,
        code: 'ERR_BACKUP_RUNNING',
      },
      expect,
    );
    expect(inPortuguese.json().detail).toBe(`Um backup já está sendo feito (desde ${startedAt}): espere ele terminar.`);
    expect(existsSync(lock)).toBe(true);

    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(lock, JSON.stringify({ holder: `${os.hostname()}|${gone}`, startedAt }));
    await expectScenario(t, host, { name: 'taken over', method: 'POST', url: '/api/system/backups', as: 'owner', status: 201 }, expect);
    expect(existsSync(lock)).toBe(false);
  });
});
