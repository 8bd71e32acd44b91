// An unsupported Node.js is refused with the fix, before anything that could crash on it loads.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNodeVersion } from '../../src/ops/doctor/check-packages.js';
import { PROJECT_ROOT, spawnRobusto } from '../support/spawn-robusto.js';

const OLD_NODE = ['--import', path.join(PROJECT_ROOT, 'test', 'fixtures', 'old-node.js')];

describe('the Node.js version', () => {
  it.each([
    ['20.20.2', false],
    ['21.7.3', false],
    ['22.0.0', true],
    ['24.21.0', true],
    ['26.1.0', true],
  ])('Node.js %s supported: %s', (version, ok) => {
    const check = checkNodeVersion(version);
    expect(check.ok).toBe(ok);
    if (!ok) {
      expect(check.detail).toBe(`Node.js ${version} is not supported; robusto needs Node.js 22 or newer (24 LTS recommended)`);
      expect(check.fix).toMatch(/^install Node\.js 24 LTS .*then run "npm install" again in /);
    }
  });

  it('robusto serve on an unsupported Node.js exits 1 with the version found and the fix, without starting', async () => {
    const robusto = await spawnRobusto({ args: ['serve'], nodeArgs: OLD_NODE });
    expect(await robusto.exited).toBe(1);
    expect(robusto.output()).toMatch(
      /^robusto: Node\.js 20\.20\.2 is not supported; robusto needs Node\.js 22 or newer \(24 LTS recommended\)\.\n {2}fix: install Node\.js 24 LTS/,
    );
    expect(robusto.lines()).toEqual([]);
    await robusto.destroy();
  });

  it('robusto doctor on an unsupported Node.js reports it and skips the checks that would load the SQLite driver', async () => {
    const robusto = await spawnRobusto({ args: ['doctor', '--json'], nodeArgs: OLD_NODE });
    expect(await robusto.exited).toBe(1);
    const report = JSON.parse(robusto.output()) as { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string; fix?: string }> };
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([
      { name: 'node', ok: false, detail: expect.stringContaining('Node.js 20.20.2 is not supported'), fix: expect.stringContaining('install Node.js 24 LTS') },
      expect.objectContaining({ name: 'remaining checks', ok: false }),
    ]);
    await robusto.destroy();
  });
});
