import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/test-database.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function run(args: string[], env: Record<string, string>, dataDir?: string): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({ args, env: { ...env, ...(dataDir ? { DATA_DIR: dataDir } : {}) } });
  cleanups.push(() => robusto.destroy());
  await robusto.exited;
  return robusto;
}

describe.each(ENGINES)('robusto migrate on %s', (engine) => {
  it('--status lists pending, migrate applies, --status lists applied; a second migrate is a no-op', async () => {
    let env: Record<string, string> = {};
    if (engine === 'postgres') {
      const database: TestDatabase = await createTestDatabase();
      cleanups.push(() => database.drop());
      env = { DATABASE_URL: database.url };
    }
    const before = await run(['migrate', '--status'], env);
    const dataDir = before.dataDir;
    expect(before.child.exitCode).toBe(0);
    expect(before.output()).toMatch(/^pending {2}system\/0001_create_system_settings$/m);

    const migrate = await run(['migrate'], env, dataDir);
    expect(migrate.child.exitCode).toBe(0);
    expect(migrate.output()).toMatch(/✓ migrations up to date/);

    const after = await run(['migrate', '--status'], env, dataDir);
    expect(after.output()).toMatch(/^applied \d.* {2}system\/0001_create_system_settings$/m);
    const again = await run(['migrate'], env, dataDir);
    expect(again.child.exitCode).toBe(0);
  });
});

describe('file logging', () => {
  it('LOG_FILE=true also writes the log, redacted, under DATA_DIR/logs', async () => {
    const robusto = await spawnRobusto({ env: { LOG_FILE: 'true' } });
    cleanups.push(() => robusto.destroy());
    await robusto.waitForReady();
    await fetch(robusto.url('/api/nothing?cpf=52998224725'));
    robusto.child.kill('SIGTERM');
    expect(await robusto.exited).toBe(0);
    const logsDir = path.join(robusto.dataDir, 'logs');
    const files = readdirSync(logsDir).filter((f) => f.endsWith('.log'));
    expect(files.length).toBeGreaterThan(0);
    const content = files.map((f) => readFileSync(path.join(logsDir, f), 'utf8')).join('');
    expect(content).toMatch(/robusto is listening/);
    expect(content).toMatch(/\/api\/nothing\?cpf=\[DOCUMENT\]/);
    expect(content).not.toContain('52998224725');
  });
});
