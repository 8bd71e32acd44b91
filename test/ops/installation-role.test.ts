// Installation data is not tenant data: under /api/system a tenant's admin gets 403 for what is
// the whole installation's (backups, restarts, jobs, info) and only their tenant's part of the
// journal figures and error lines; a user with the installation role sees all of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_MODULES } from '../../src/builtin-modules.js';
import { IdentityError } from '../../src/identity/index.js';
import { AuthError } from '../../src/modules/auth/index.js';
import { defineModule, type ModuleSource } from '../../src/modules/module.js';
import { createBackup } from '../../src/ops/backup/backup.js';
import { writeRestartReport } from '../../src/ops/restart/restart-report.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

/** A module whose one route fails with a 500: the error line it leaves names the caller's tenant. */
const failingModule: ModuleSource = {
  name: 'failing',
  origin: 'test',
  load: async () => ({
    default: defineModule({
      name: 'failing',
      routes: async (app) => {
        app.get('/', async () => {
          throw new Error('the failing route failed');
        });
      },
    }),
  }),
};

describe.each(ENGINES)('the installation role on %s', (engine) => {
  let t: TestApp;
  /** Its owner holds the installation role. */
  let host: TestTenant;
  /** Another business on the same installation: its admin and owner do not. */
  let guest: TestTenant;
  let backupDir: string;

  beforeAll(async () => {
    backupDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-installation-role-'));
    t = await buildTestApp({ engine, modules: [...BUILTIN_MODULES, failingModule], env: { BACKUP_DIR: backupDir, BACKUP_SCHEDULE: 'off' } });
    host = await createTenantWithUsers(t, 'host');
    guest = await createTenantWithUsers(t, 'guest');
    await setInstallationRole(t, host, 'owner');
    await createBackup(t.app.db, { root: backupDir, robustoVersion: 'test' });
    writeRestartReport(
      t.config,
      { ok: true, stopped: true, steps: [], warnings: [], counts: [], latencyMs: { health: [], api: {} }, backupDir: undefined, report: '' },
      new Date(),
    );
    // The journal: two writes of the host waiting and one of theirs dead; one of the guest waiting.
    const append = (tenant: TestTenant, key: string) =>
      t.app.journal.append({
        tenantId: tenant.id,
        userId: null,
        idempotencyKey: key,
        fingerprint: '',
        command: 'students.register',
        commandVersion: 1,
        payload: { name: key, birthDate: '2000-01-01', plan: 'p' },
        requestId: key,
      });
    await append(host, 'host-dead');
    const [dead] = t.app.journal.pending(1);
    t.app.journal.finishAttempt(dead?.seq as number, { status: 'dead', error: 'refused for good', errorCode: 'ERR_TEST' });
    await Promise.all([append(host, 'host-1'), append(host, 'host-2'), append(guest, 'guest-1')]);
    // Error lines: one about each tenant (a failed request of each), one of the installation itself.
    expect((await call(t, host, { method: 'GET', url: '/api/failing/', as: 'staff' })).statusCode).toBe(500);
    expect((await call(t, guest, { method: 'GET', url: '/api/failing/', as: 'staff' })).statusCode).toBe(500);
    t.log.error({ err: new Error('disk almost full') }, 'the installation logged this');
  });
  afterAll(async () => {
    await t.close();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it.each(['/api/system/backups', '/api/system/restarts', '/api/system/jobs', '/api/system/info'])(
    '%s: 403 ERR_INSTALLATION_ROLE_REQUIRED for the admin and owner of a tenant, saying who grants it; 200 for the installation role',
    async (url) => {
      for (const as of ['admin', 'owner'] as const) {
        const refused = await call(t, guest, { method: 'GET', url, as });
        expect(refused.statusCode, refused.body).toBe(403);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.json()).toMatchObject({
          code: IdentityError.INSTALLATION_ROLE_REQUIRED,
          requires: 'installation_admin',
          detail: expect.stringContaining('robusto user installation-admin'),
        });
        expect(refused.body).not.toMatch(/robusto-backup-|core\.prune-keys|installationId/);
      }
      const allowed = await call(t, host, { method: 'GET', url, as: 'owner' });
      expect(allowed.statusCode, allowed.body).toBe(200);
    },
  );

  it('the backups, restarts and jobs the installation role sees', async () => {
    expect((await call(t, host, { method: 'GET', url: '/api/system/backups' })).json().items).toHaveLength(1);
    expect((await call(t, host, { method: 'GET', url: '/api/system/restarts' })).json().items).toHaveLength(1);
    expect((await call(t, host, { method: 'GET', url: '/api/system/jobs' })).json().items.map((j: { name: string }) => j.name)).toContain('core.prune-keys');
  });

  it("journal figures: a tenant's admin gets their tenant's share only; the installation role the whole journal", async () => {
    const guestView = (await call(t, guest, { method: 'GET', url: '/api/system/journal', as: 'admin' })).json();
    expect(guestView).toMatchObject({
      scope: 'tenant',
      depth: 1,
      deadLetters: 0,
      groupCommits: null,
      appendedSinceStart: null,
      writable: true,
      circuit: 'closed',
    });
    const hostAdminView = (await call(t, host, { method: 'GET', url: '/api/system/journal', as: 'admin' })).json();
    expect(hostAdminView).toMatchObject({ scope: 'tenant', depth: 2, deadLetters: 1 });
    const installationView = (await call(t, host, { method: 'GET', url: '/api/system/journal', as: 'owner' })).json();
    expect(installationView).toMatchObject({ scope: 'installation', depth: 3, deadLetters: 1, groupCommits: expect.any(Number), appendedSinceStart: 4 });
  });

  it("dead letters stay each tenant's own, whoever asks", async () => {
    expect((await call(t, guest, { method: 'GET', url: '/api/system/dead-letters', as: 'admin' })).json().items).toEqual([]);
    expect((await call(t, host, { method: 'GET', url: '/api/system/dead-letters', as: 'admin' })).json().items).toHaveLength(1);
  });

  it("error lines: a tenant's admin reads those about their tenant only; the installation role all of them", async () => {
    const lines = async (tenant: TestTenant, as: 'admin' | 'owner') => {
      const response = await call(t, tenant, { method: 'GET', url: '/api/system/errors', as });
      expect(response.statusCode, response.body).toBe(200);
      return (response.json().items as Array<{ msg: string; error: string | null; requestId: string | null }>).map((e) => `${e.msg}: ${e.error}`);
    };
    expect(await lines(guest, 'admin')).toEqual(['request failed: the failing route failed']);
    expect(await lines(host, 'admin')).toEqual(['request failed: the failing route failed']);
    const all = await lines(host, 'owner');
    expect(all).toEqual([
      'the installation logged this: disk almost full',
      'request failed: the failing route failed',
      'request failed: the failing route failed',
    ]);
  });

  it('/api/auth/me says who holds the installation role', async () => {
    expect((await call(t, host, { method: 'GET', url: '/api/auth/me', as: 'owner' })).json()).toMatchObject({ installationAdmin: true });
    expect((await call(t, guest, { method: 'GET', url: '/api/auth/me', as: 'owner' })).json()).toMatchObject({ installationAdmin: false });
  });

  it('revoking the role takes it away on the next look-up; a staff member never has its use', async () => {
    await setInstallationRole(t, guest, 'admin');
    expect((await call(t, guest, { method: 'GET', url: '/api/system/backups', as: 'admin' })).statusCode).toBe(200);
    await setInstallationRole(t, guest, 'admin', false);
    expect((await call(t, guest, { method: 'GET', url: '/api/system/backups', as: 'admin' })).statusCode).toBe(403);
    await expect(setInstallationRole(t, guest, 'staff')).rejects.toMatchObject({ code: AuthError.INSTALLATION_ROLE_NEEDS_ADMIN });
  });
});

describe('the installation role on a first start and while the database is down', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    tenant = await createTenantWithUsers(t, 'outage');
  });
  afterAll(() => t.close());

  it('the first owner (made on a first start) holds it; the owners made after do not', async () => {
    const rows = await t.app.db.kysely.selectFrom('users').select(['email', 'installation_admin']).where('role', '=', 'owner').execute();
    expect(rows.map((r) => [r.email, Number(r.installation_admin)]).sort()).toEqual([
      ['admin@localhost', 1],
      ['owner@outage.test', 0],
    ]);
  });

  it('while the database cannot be asked, no more than it last said: a user never seen here has no installation role', async () => {
    const { tokens, principals } = t.app.identity;
    const claims = (role: 'owner' | 'admin') => tokens.verify(tenant.tokens[role]);
    expect((await principals.load(claims('admin'), { databaseDown: true })).installationAdmin).toBe(false);
    await setInstallationRole(t, tenant, 'owner');
    // Seen with the role once: remembered, and so while the database is down.
    expect((await principals.load(claims('owner'))).installationAdmin).toBe(true);
    principals.forget(tenant.userIds.owner);
    expect((await principals.load(claims('owner'), { databaseDown: true })).installationAdmin).toBe(true);
    await setInstallationRole(t, tenant, 'owner', false);
    expect((await principals.load(claims('owner'))).installationAdmin).toBe(false);
    principals.forget(tenant.userIds.owner);
    expect((await principals.load(claims('owner'), { databaseDown: true })).installationAdmin).toBe(false);
  });
});
