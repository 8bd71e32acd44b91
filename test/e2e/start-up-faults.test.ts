// Faults at start and in the first requests, each injected for real against the spawned binary:
// a missing package, a busy port, a broken module, a throwing route, and a database that is
// unreachable at start.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { fixtureModule } from '../support/fixtures.js';
import { loginAsInitialAdmin, PROJECT_ROOT, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(options: Parameters<typeof spawnRobusto>[0]): Promise<RobustoProcess> {
  const robusto = await spawnRobusto(options);
  cleanups.push(() => robusto.destroy());
  return robusto;
}

/** A copy of the installed package whose node_modules lacks `missing`. */
function installWithout(missing: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-install-'));
  cpSync(path.join(PROJECT_ROOT, 'package.json'), path.join(dir, 'package.json'));
  cpSync(path.join(PROJECT_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  mkdirSync(path.join(dir, 'node_modules'));
  const source = path.join(PROJECT_ROOT, 'node_modules');
  for (const entry of readdirSync(source)) {
    if (entry === missing || entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      mkdirSync(path.join(dir, 'node_modules', entry));
      for (const scoped of readdirSync(path.join(source, entry))) {
        if (`${entry}/${scoped}` !== missing) symlinkSync(path.join(source, entry, scoped), path.join(dir, 'node_modules', entry, scoped));
      }
    } else {
      symlinkSync(path.join(source, entry), path.join(dir, 'node_modules', entry));
    }
  }
  return path.join(dir, 'dist', 'src', 'main.js');
}

describe('a missing package', () => {
  it.each(['commander', 'cockatiel'])('doctor names %s, gives the fix and exits 1', async (missing) => {
    const robusto = await started({ bin: installWithout(missing), args: ['doctor'] });
    expect(await robusto.exited).toBe(1);
    expect(robusto.output()).toMatch(new RegExp(`✗ package ${missing}: not installed`));
    expect(robusto.output()).toMatch(/fix: run "npm install"/);
    expect(robusto.output()).toMatch(/✓ package fastify: installed/);
  });

  it('serve refuses with one clear line instead of a stack trace', async () => {
    const robusto = await started({ bin: installWithout('commander'), args: ['serve'] });
    expect(await robusto.exited).toBe(1);
    expect(robusto.output().trim()).toBe(
      'robusto: package "commander" is not installed. Run "npm install" in the robusto folder, then "robusto doctor" to check.',
    );
  });

  it('serve says it in Portuguese under LANG=pt_BR.UTF-8', async () => {
    const robusto = await started({ bin: installWithout('commander'), args: ['serve'], env: { LANG: 'pt_BR.UTF-8' } });
    expect(await robusto.exited).toBe(1);
    expect(robusto.output().trim()).toBe(
      'robusto: o pacote "commander" não está instalado. Rode "npm install" na pasta do robusto e depois "robusto doctor" para conferir.',
    );
  });

  it('doctor passes on a complete install, and --json is machine-readable', async () => {
    const robusto = await started({ args: ['doctor', '--json'] });
    expect(await robusto.exited).toBe(0);
    const report = JSON.parse(robusto.output()) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['node', 'config', 'data directory', 'database', 'migrations', 'module system']));
  });
});

describe('the port is busy', () => {
  it('waits, logging, and starts once the port is freed', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const robusto = await started({ port, env: { PORT_WAIT_MS: '20000' } });
    await robusto.waitForLine((l) => l.msg === 'port in use; waiting for it to be freed');
    await new Promise((resolve) => blocker.close(resolve));
    await robusto.waitForReady();
    expect((await fetch(robusto.url('/health/live'))).status).toBe(200);
  });

  it('gives up after PORT_WAIT_MS with exit 1 and says how to find the other process', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const robusto = await started({ port, env: { PORT_WAIT_MS: '1000' } });
    expect(await robusto.exited).toBe(1);
    expect(robusto.output()).toMatch(new RegExp(`port ${port} on 127.0.0.1 is still in use.*ss -ltnp`));
  });
});

describe('a broken module, a throwing route', () => {
  it('other routes answer, /health is warn naming it, its prefix answers 503; a throwing route is a 500 and the next request works', async () => {
    const robusto = await started({ env: { ROBUSTO_MODULES: `${fixtureModule('whatsapp')},${fixtureModule('faulty')}` } });
    await robusto.waitForReady();
    expect((await fetch(robusto.url('/api/faulty/ok'))).status).toBe(200);
    const health = await fetch(robusto.url('/health'));
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; output: string };
    expect(body.status).toBe('warn');
    expect(body.output).toMatch(/whatsapp: failed at import/);
    const down = await fetch(robusto.url('/api/whatsapp/messages'));
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ code: 'ERR_MODULE_UNAVAILABLE' });

    const thrown = await fetch(robusto.url('/api/faulty/throw'));
    expect(thrown.status).toBe(500);
    expect(thrown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await thrown.text()).not.toMatch(/hunter2|stack|secret\.js/);
    expect((await fetch(robusto.url('/api/faulty/ok'))).status).toBe(200);
    expect(robusto.child.exitCode).toBeNull();
  });
});

describe('health with the database unreachable, and a start without it', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;

  it('starts against an unreachable PostgreSQL, answers 503 naming it, then becomes healthy and migrated without a restart', async () => {
    database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const target = new URL(database.url);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    proxy.refuse();

    const robusto = await started({ env: { DATABASE_URL: proxy.url(database.url), DB_CONNECT_TIMEOUT_MS: '1000' } });
    await robusto.waitForReady();
    const down = await fetch(robusto.url('/health'));
    expect(down.status).toBe(503);
    expect(((await down.json()) as { output: string }).output).toMatch(/postgres database unreachable/);
    expect((await fetch(robusto.url('/health/live'))).status).toBe(200);
    // Its modules wait for their migrations: a sign-in is told the database is not answering.
    const pending = await fetch(robusto.url('/api/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'default', email: 'admin@localhost', password: 'not-known-yet' }),
    });
    expect(pending.status).toBe(503);
    expect(await pending.json()).toMatchObject({ code: 'ERR_DATABASE_UNAVAILABLE' });
    await robusto.waitForLine((l) => l.msg === 'database unreachable; will retry' && l.attempt === 2);

    proxy.pass();
    await robusto.waitForLine((l) => l.msg === 'database reachable again; migrations applied', 40_000);
    const up = await fetch(robusto.url('/health'));
    expect(up.status).toBe(200);
    const body = (await up.json()) as { checks: Record<string, Array<{ observedValue: number }>> };
    expect(body.checks['database:responseTime']?.[0]?.observedValue).toBeGreaterThan(0);
    // Migrated and seeded without a restart: the first owner exists and can sign in.
    const token = await loginAsInitialAdmin(robusto);
    expect((await fetch(robusto.url('/api/system/info'), { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const retries = robusto.lines().filter((l) => l.msg === 'database unreachable; will retry');
    const delays = retries.map((l) => l.retryInMs as number);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(robusto.child.exitCode).toBeNull();
  }, 60_000);
});
