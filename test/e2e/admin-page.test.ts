// The admin page in a real browser (Debian's chromium driven by playwright-core): an owner with
// the installation role signs in and sees the lights, the journal, a dead letter (and discards
// it), jobs, backups and restarts; an admin without it sees their tenant's part, the
// installation's sections hidden and why; a staff member is told the page is not theirs. No script or style runs inline: the
// page's Content-Security-Policy would block it and the test fails on any console error.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup } from '../../src/ops/backup/backup.js';
import { writeRestartReport } from '../../src/ops/restart/restart-report.js';
import { TEST_PASSWORD, createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

const INJECTED = '<img src=x onerror="window.__injected = 1">';
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => existsSync(file));

// CI installs chromium (.ci/run); a developer machine without it skips this file, saying so.
describe.skipIf(!CHROMIUM && !process.env.CI)('admin page in a browser', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let base: string;
  let browser: Browser;
  let backupDir: string;
  let backupName: string;

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium): the admin page cannot be tested');
    backupDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-admin-page-'));
    t = await buildTestApp({ engine: 'sqlite', env: { BACKUP_DIR: backupDir, BACKUP_SCHEDULE: 'off' } });
    tenant = await createTenantWithUsers(t, 'painel');
    await setInstallationRole(t, tenant, 'owner');
    backupName = path.basename((await createBackup(t.app.db, { root: backupDir, robustoVersion: 'test' })).dir);
    writeRestartReport(
      t.config,
      {
        ok: true,
        stopped: true,
        steps: [],
        warnings: [],
        counts: [],
        latencyMs: { health: [], api: {} },
        backupDir: path.join(backupDir, backupName),
        report: '',
      },
      new Date(),
    );
    // A write the database refused for good: what an admin retries or discards.
    await t.app.journal.append({
      tenantId: tenant.id,
      userId: tenant.userIds.staff ?? null,
      idempotencyKey: 'admin-page-dead',
      fingerprint: 'f',
      command: 'students.register',
      commandVersion: 1,
      payload: { name: 'Aluna Duplicada', birthDate: '2000-01-01', plan: 'Manhã' },
      requestId: 'admin-page',
    });
    const [entry] = t.app.journal.pending(1);
    // Its error holds markup: the page must show it as text, never run it.
    t.app.journal.finishAttempt(entry?.seq as number, { status: 'dead', error: `CPF already registered ${INJECTED}`, errorCode: 'ERR_STUDENT_CPF_TAKEN' });
    t.log.error({ requestId: 'admin-page' }, 'the admin page test logged this');
    base = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(backupDir, { recursive: true, force: true });
  });

  async function signIn(role: 'owner' | 'admin' | 'staff', options: { dashboard?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
    // The page follows the browser's language: these assertions read its English texts.
    const page = await browser.newPage({ locale: 'en-US' });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    page.setDefaultTimeout(10_000);
    await page.goto(`${base}/admin`);
    await page.fill('input[name=tenant]', tenant.slug);
    await page.fill('input[name=email]', `${role}@${tenant.slug}.test`);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('button[type=submit]');
    if (options.dashboard !== false) await page.waitForSelector('#dashboard:not([hidden])');
    return { page, errors };
  }

  it('shows an owner the lights, the journal, jobs, backups and restarts, and discards a dead letter', async () => {
    const { page, errors } = await signIn('owner');
    await page.waitForSelector('#lights li[data-check="database:responseTime"][data-status="pass"]');
    expect(await page.textContent('#who')).toContain('owner@painel.test (owner, installation)');
    expect(await page.textContent('#journal dd[data-field="dead letters"]')).toBe('1');
    expect(await page.textContent('#modules tbody')).toContain('students');
    expect(await page.textContent('#jobs tbody')).toContain('core.prune-keys');
    expect(await page.textContent('#backups tbody')).toContain(backupName);
    expect(await page.textContent('#restarts tbody')).toContain('success');
    expect(await page.textContent('#errors tbody')).toContain('the admin page test logged this');
    expect(await page.textContent('#dead-letters tbody')).toContain(`CPF already registered ${INJECTED}`);
    expect(await page.locator('#dead-letters img').count()).toBe(0);
    expect(await page.evaluate('window.__injected')).toBeUndefined();

    page.once('dialog', (dialog) => void dialog.accept('typed twice at the front desk'));
    await page.click('#dead-letters tbody button:has-text("Discard")');
    await page.waitForSelector('#dead-letters tbody:has-text("no dead letters")');
    expect(t.app.journal.stats().dead).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows an admin without the installation role their tenant's part, hides the installation's sections and says why", async () => {
    const { page, errors } = await signIn('admin', { dashboard: false });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.waitForSelector('#dashboard:not([hidden])');
    await page.waitForSelector('#journal dd[data-field="scope"]');
    expect(await page.textContent('#who')).toContain('admin@painel.test (admin)');
    expect(await page.textContent('#journal dd[data-field="scope"]')).toBe('your tenant');
    expect(await page.isVisible('#scope')).toBe(true);
    expect(await page.textContent('#scope')).toContain('robusto user installation-admin');
    for (const id of ['#jobs', '#backups', '#restarts']) expect(await page.isHidden(id)).toBe(true);
    expect(await page.textContent('#errors tbody')).not.toContain('the admin page test logged this');
    await page.waitForTimeout(6_000);
    expect(requests.filter((url) => /\/api\/system\/(jobs|backups|restarts|info)/.test(url))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('tells a staff member the page is for admins, shows no dashboard and asks nothing more of the API', async () => {
    const { page } = await signIn('staff', { dashboard: false });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/your role "staff" lacks the "system" permission/);
    expect(await page.isHidden('#dashboard')).toBe(true);
    await page.waitForTimeout(6_000);
    expect(requests.filter((url) => url.includes('/api/system/'))).toEqual([]);
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in:not([hidden])');
    await page.close();
  });
});
