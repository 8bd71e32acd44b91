// The admin console as the person in charge uses it, in a real browser (Debian's chromium driven
// by playwright-core), on PostgreSQL reached through a fault proxy: the page in pt-BR or English
// (the browser's language, or the switch, remembered after a reload), the database light turning
// red with what to do when the proxy cuts the database, the writes accepted meanwhile processed
// with "Processar pendentes agora" once it is back, a verified backup made with "Fazer backup
// agora", and no sideways scrolling on a 360 px wide phone. Screenshots go to test-artifacts/
// (not committed).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBackup } from '../../src/ops/backup/verify.js';
import { writeRestartReport } from '../../src/ops/restart/restart-report.js';
import { text } from '../../src/shared/i18n/translate.js';
import { TEST_PASSWORD, createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildAppBehindProxy, type AppBehindProxy } from '../support/behind-proxy.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) => existsSync(file));
const ARTIFACTS = path.resolve('test-artifacts', 'admin-console');
// What the page shows after a refresh or an API answer: seconds on a loaded machine, not vitest's 1 s default.
const POLL = { timeout: 15_000 };

// CI installs chromium (.ci/run); a developer machine without it skips this file, saying so.
describe.skipIf(!CHROMIUM && !process.env.CI)('admin console in a browser', () => {
  let env: AppBehindProxy;
  let tenant: TestTenant;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium): the admin console cannot be tested');
    mkdirSync(ARTIFACTS, { recursive: true });
    env = await buildAppBehindProxy({ env: { BACKUP_SCHEDULE: 'off' } });
    tenant = await createTenantWithUsers(env.t, 'console');
    await setInstallationRole(env.t, tenant, 'owner');
    env.t.log.error({ requestId: 'console-e2e-request' }, 'the admin console test logged this');
    base = await env.t.app.http.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    env?.proxy.pass();
    await env?.close();
  });

  /** A new browser (its own storage) in `locale`, `width` pixels wide, signed in as the owner of `as`; JS errors are collected. */
  async function signIn(locale: string, width = 1200, as: TestTenant = tenant): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/admin`);
    await page.fill('input[name=tenant]', as.slug);
    await page.fill('input[name=email]', `owner@${as.slug}.test`);
    await page.fill('input[name=password]', TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#dashboard:not([hidden])');
    await page.waitForSelector('#lights li[data-check="database:responseTime"]');
    return { page, errors };
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('follows the browser: pt-BR for Portuguese, English otherwise; the PT | EN switch sets <html lang> and is remembered after a reload', async () => {
    const { page, errors } = await signIn('pt-BR');
    expect(await page.getAttribute('html', 'lang')).toBe('pt-BR');
    expect(await page.textContent('#status h2')).toBe('Situação');
    expect(await page.textContent('#replay-now')).toBe('Processar pendentes agora');
    expect(await page.textContent('#backup-now')).toBe('Fazer backup agora');
    expect(await page.textContent('#lights li[data-check="database:responseTime"]')).toContain('O banco de dados responde normalmente.');
    expect(await page.textContent('#who')).toContain('(dono, instalação)');
    // Recent errors with their request ids, and the way to the API's docs.
    await page.waitForSelector('#errors tbody code');
    expect(await page.textContent('#errors tbody')).toContain('console-e2e-request');
    expect(await page.locator('a[href="/docs"]').count()).toBeGreaterThan(0);
    await shot(page, 'pt-BR');

    await page.click('#lang button[data-lang="en"]');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#status h2')).toBe('Status');
    expect(await page.textContent('#replay-now')).toBe('Process waiting writes now');
    expect(await page.textContent('#lights li[data-check="database:responseTime"]')).toContain('The database answers normally.');
    await page.reload();
    await page.waitForSelector('#dashboard:not([hidden])');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#backup-now')).toBe('Back up now');
    expect(await page.getAttribute('#lang button[data-lang="en"]', 'aria-pressed')).toBe('true');
    await shot(page, 'en-after-reload');
    expect(errors).toEqual([]);

    for (const [locale, expected] of [
      ['en-US', 'en'],
      ['de-DE', 'en'],
      ['pt-PT', 'pt-BR'],
    ] as const) {
      const other = await signIn(locale);
      expect(await other.page.getAttribute('html', 'lang'), locale).toBe(expected);
      await other.page.close();
    }
  }, 90_000);

  it('turns the database light red with what to do when the database is cut, and processes the writes kept meanwhile once it is back', async () => {
    const { t, proxy } = env;
    const { page, errors } = await signIn('pt-BR');
    await page.waitForSelector('#lights li[data-check="database:responseTime"][data-status="pass"]');
    const names = ['Console Um', 'Console Dois', 'Console Três'];
    try {
      proxy.cut();
      const red = page.locator('#lights li[data-check="database:responseTime"][data-status="fail"]');
      await red.waitFor();
      expect(await red.locator('.meaning').textContent()).toBe(
        'O banco de dados não responde: os cadastros estão sendo guardados com segurança e serão gravados quando ele voltar. Listas e relatórios esperam até lá.',
      );
      expect(await red.locator('.todo').textContent()).toContain('Verifique se o PostgreSQL está ligado');
      expect(await page.getAttribute('#overall', 'data-status')).toBe('fail');
      // Words, not the health answer's JSON; its figures wait under "detalhes técnicos".
      expect(await page.textContent('#lights')).not.toMatch(/[{}]/);
      expect(await red.locator('details summary').textContent()).toBe('detalhes técnicos');

      for (const name of names) {
        const response = await fetch(`${base}/api/students`, {
          method: 'POST',
          headers: { ...tenant.as('staff'), 'content-type': 'application/json' },
          body: JSON.stringify({ name, birthDate: '2000-01-01', plan: 'Manhã' }),
        });
        expect(response.status).toBe(202);
      }
      await expect.poll(() => page.locator('#pending tbody tr:not(.empty)').count(), { timeout: 15_000 }).toBe(3);
      expect(await page.textContent('#pending tbody')).toContain('students.register');
      await page.waitForSelector('#lights li[data-check="journal:depth"][data-status="warn"]');
      expect(await page.textContent('#lights li[data-check="journal:depth"] .meaning')).toMatch(/^O banco está fora do ar: os cadastros ficam guardados/);
      await shot(page, 'database-cut');

      // While it is still cut, processing stops and says so.
      await page.click('#replay-now');
      await page.waitForSelector('#replay-result[data-status="warn"]:has-text("Parou")');
      expect(await page.textContent('#replay-result')).toContain('3 esperando');
    } finally {
      proxy.pass();
    }
    await page.waitForSelector('#lights li[data-check="database:responseTime"][data-status="pass"]', { timeout: 30_000 });
    expect(t.app.journal.stats().pending).toBe(3);
    await page.click('#replay-now');
    await page.waitForSelector('#replay-result[data-status="pass"]', { timeout: 30_000 });
    expect(await page.textContent('#replay-result')).toBe('Pronto: 3 gravadas, 0 ainda esperando.');
    expect(t.app.journal.stats().pending).toBe(0);
    const rows = await t.app.db.kysely
      .selectFrom('students' as never)
      .select('name' as never)
      .where('name' as never, 'in', names as never)
      .execute();
    expect(rows).toHaveLength(3);
    await page.waitForSelector('#pending tbody:has-text("nenhuma gravação esperando")');
    await shot(page, 'writes-processed');
    expect(errors).toEqual([]);
  }, 120_000);

  it('makes a verified backup with "Fazer backup agora" and lists it', async () => {
    const { page, errors } = await signIn('pt-BR');
    await page.waitForSelector('#backups tbody tr');
    await page.click('#backup-now');
    await page.waitForSelector('#backup-progress[data-status="pass"]', { timeout: 60_000 });
    const said = (await page.textContent('#backup-progress')) ?? '';
    expect(said).toMatch(/^Backup feito e conferido: robusto-backup-/);
    const name = /robusto-backup-[0-9TZ]+/.exec(said)?.[0] as string;
    await page.waitForSelector(`#backups tbody:has-text("${name}")`);
    expect((await verifyBackup(path.join(env.t.config.paths.backupsDir, name))).problems).toEqual([]);
    await shot(page, 'backup-made');
    expect(errors).toEqual([]);
  }, 90_000);

  it('shows the activity: filtered by who, by command or entity and by day, paged ten at a time', async () => {
    // A tenant of its own, so the trail holds only what this test does.
    const shop = await createTenantWithUsers(env.t, 'console-activity');
    const register = async (role: 'staff' | 'admin', name: string) => {
      const response = await fetch(`${base}/api/students`, {
        method: 'POST',
        headers: { ...shop.as(role), 'content-type': 'application/json' },
        body: JSON.stringify({ name, birthDate: '2001-02-03', plan: 'Tarde' }),
      });
      const body = await response.text();
      expect(response.status, body).toBe(201);
      return (JSON.parse(body) as { id: string }).id;
    };
    const staffWrites: string[] = [];
    for (let i = 1; i <= 12; i++) staffWrites.push(await register('staff', `Atividade ${i}`));
    for (let i = 1; i <= 2; i++) await register('admin', `Atividade admin ${i}`);

    const { page, errors } = await signIn('pt-BR', 1200, shop);
    const rows = page.locator('#activity-log tbody tr:not(.empty)');
    const users = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-user')));
    await expect.poll(() => rows.count(), POLL).toBe(10);
    expect(await page.textContent('#activity h2')).toBe('Atividade');
    expect(await page.textContent('#activity-page')).toBe('página 1');
    // The users' names come from the tenant's list; the newest row is the admin's last write.
    await page.waitForSelector('#activity-filters select option:has-text("admin of console-activity")', { state: 'attached' });
    expect(await rows.first().textContent()).toContain('admin of console-activity <admin@console-activity.test>');

    // Who: the staff member's twelve writes, ten on the first page and two on the next.
    await page.selectOption('#activity-filters select[name="userId"]', shop.userIds.staff);
    await page.click('#activity-filters button[type="submit"]');
    await expect.poll(users, POLL).toEqual(Array(10).fill(shop.userIds.staff));
    expect(await page.isDisabled('#activity-newer')).toBe(true);
    await page.click('#activity-older');
    await expect.poll(users, POLL).toEqual(Array(2).fill(shop.userIds.staff));
    expect(await page.textContent('#activity-page')).toBe('página 2');
    expect(await page.isDisabled('#activity-older')).toBe(true);
    // The oldest two, the newest first.
    expect(await page.locator('#activity-log tbody td:nth-child(5)').allTextContents()).toEqual([staffWrites[1], staffWrites[0]]);
    await shot(page, 'activity-staff-page-2');
    await page.click('#activity-newer');
    await expect.poll(() => page.textContent('#activity-page'), POLL).toBe('página 1');
    await expect.poll(users, POLL).toEqual(Array(10).fill(shop.userIds.staff));

    // What: the users made at the tenant's creation, by the system (a command, then an entity).
    await page.click('#activity-filters button[type="reset"]');
    await page.fill('#activity-filters input[name="action"]', 'auth.create_user');
    await page.click('#activity-filters button[type="submit"]');
    await expect.poll(users, POLL).toEqual(['', '', '', '']);
    expect(await rows.first().textContent()).toContain('o sistema (linha de comando, primeiro início)');
    await page.fill('#activity-filters input[name="action"]', '');
    await page.fill('#activity-filters input[name="entity"]', 'student');
    await page.selectOption('#activity-filters select[name="userId"]', shop.userIds.admin);
    await page.click('#activity-filters button[type="submit"]');
    await expect.poll(users, POLL).toEqual([shop.userIds.admin, shop.userIds.admin]);
    expect(await page.textContent('#activity-log tbody')).toContain('students.register');

    // When: everything happened today; nothing until yesterday; a window the wrong way round is refused in Portuguese.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toLocaleDateString('sv-SE');
    await page.click('#activity-filters button[type="reset"]');
    await page.fill('#activity-filters input[name="from"]', day(0));
    await page.click('#activity-filters button[type="submit"]');
    await expect.poll(() => rows.count(), POLL).toBe(10);
    await page.fill('#activity-filters input[name="from"]', '');
    await page.fill('#activity-filters input[name="to"]', day(-1));
    await page.click('#activity-filters button[type="submit"]');
    await page.waitForSelector('#activity-log tbody:has-text("nada corresponde a estes filtros")');
    await page.fill('#activity-filters input[name="from"]', day(0));
    await page.click('#activity-filters button[type="submit"]');
    await page.waitForSelector('#activity-log tbody:has-text("Não foi possível carregar")');
    expect(await page.textContent('#activity-log tbody')).not.toMatch(/must|after/);
    await shot(page, 'activity-filters');

    await page.click('#lang button[data-lang="en"]');
    expect(await page.textContent('#activity h2')).toBe('Activity');
    expect(await page.textContent('#activity-filters button[type="submit"]')).toBe('Filter');
    expect(errors).toEqual([]);
  }, 90_000);

  it("reads the restart reports in the page: each phase in words, in the page's language", async () => {
    const outcome = { counts: [], latencyMs: { health: [], api: {} }, report: '', backupDir: undefined };
    writeRestartReport(
      env.t.config,
      {
        ...outcome,
        ok: false,
        stopped: true,
        steps: [
          { phase: 'find', ok: true, detail: text('restart.find.found', { pid: '4242' }), ms: 2 },
          { phase: 'stop', ok: false, detail: text('restart.stop.noExit', { pid: '4242', ms: 30_000 }), ms: 30_001 },
        ],
        warnings: [],
      },
      new Date(),
    );
    const { page, errors } = await signIn('pt-BR');
    const report = page.locator('#restarts tbody tr[data-status="fail"]').first();
    await report.waitFor();
    expect(await report.textContent()).toContain('falhou em parada');
    // The page redraws every 5 s: a click that lands as the row is replaced is made again.
    const details = report.locator('details');
    await expect
      .poll(async () => {
        if ((await details.getAttribute('open')) === null) await report.locator('summary').click();
        return details.getAttribute('open');
      }, POLL)
      .not.toBeNull();
    expect(await report.locator('ol.steps li').allTextContents()).toEqual([
      '✓ localizar: supervisor pid 4242 (2 ms)',
      '✗ parada: o supervisor pid 4242 não saiu em 30.000 ms após o SIGTERM; veja o log dele. Pare-o (kill 4242) e rode "robusto start" (30.001 ms)',
    ]);
    // Opened, it stays open through the page's next refresh.
    const updated = await page.textContent('#updated');
    await expect.poll(() => page.textContent('#updated'), { timeout: 15_000 }).not.toBe(updated);
    expect(await details.getAttribute('open')).not.toBeNull();
    await shot(page, 'restart-report');
    await page.click('#lang button[data-lang="en"]');
    // The phases are asked for again in English: the failed one's words show it ("supervisor pid 4242" is the same in both).
    await expect
      .poll(() => report.locator('ol.steps li').nth(1).textContent(), POLL)
      .toMatch(/^✗ stop: supervisor pid 4242 did not exit within 30,000 ms of SIGTERM/);
    expect(await report.locator('ol.steps li').first().textContent()).toBe('✓ find: supervisor pid 4242 (2 ms)');
    expect(errors).toEqual([]);
  }, 60_000);

  it('links the recent errors to the API reference and the operator guide, which opens in Portuguese and scrolls no sideways on a phone', async () => {
    const { page, errors } = await signIn('en-US', 360);
    const links = page.locator('#errors').locator('xpath=..').locator('p.links a');
    expect(await links.allTextContents()).toEqual([
      'API and error reference',
      'What to do when the database goes down (in Portuguese)',
      'Operator guide (in Portuguese)',
    ]);
    await page.click('p.links a[href="/admin/guia/banco-caiu"]');
    await page.waitForURL(`${base}/admin/guia/banco-caiu`);
    expect(await page.getAttribute('html', 'lang')).toBe('pt-BR');
    expect(await page.textContent('h1')).toBe('Quando o banco de dados cai');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await shot(page, 'guide-phone-360');
    await page.screenshot({ path: path.join(ARTIFACTS, 'guide-phone-360-first-screen.png') });
    await page.click('header a[href="/admin/guia"]');
    await page.waitForSelector('h1:has-text("Guia do operador")');
    expect(await page.locator('main a[href="/admin/guia/painel"]').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  }, 60_000);

  it('scrolls no sideways on a 360 px wide phone: its tables are cards', async () => {
    for (const locale of ['pt-BR', 'en-US']) {
      const { page, errors } = await signIn(locale, 360);
      await page.waitForSelector('#backups tbody tr:not(.empty)');
      await page.waitForSelector('#errors tbody code');
      expect(await page.evaluate('document.documentElement.scrollWidth'), locale).toBeLessThanOrEqual(360);
      expect(await page.evaluate("getComputedStyle(document.querySelector('#backups tbody td')).display")).toBe('block');
      expect(await page.getAttribute('#backups tbody td', 'data-label')).toBeTruthy();
      await page.waitForSelector('#activity-log tbody tr:not(.empty) td');
      expect(await page.evaluate("getComputedStyle(document.querySelector('#activity-log tbody td')).display")).toBe('block');
      await shot(page, `phone-360-${locale}`);
      await page.screenshot({ path: path.join(ARTIFACTS, `phone-360-${locale}-first-screen.png`) });
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 90_000);
});
