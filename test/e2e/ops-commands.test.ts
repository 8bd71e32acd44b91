// The supervisor under signals at every moment of its start-up, and the operations commands run
// from a shell that is not the server's: they look, and create nothing.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const running: RobustoProcess[] = [];
afterEach(async () => {
  for (const robusto of running.splice(0)) {
    try {
      process.kill(-(robusto.child.pid as number), 'SIGKILL');
    } catch {
      // the group is gone
    }
    await robusto.destroy();
  }
});

/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const SUPERVISOR_FILES = ['robusto.pid', 'robusto.status.json', 'robusto.launch.json'];

/** The moments of a start-up a signal is sent at: before the first worker is ready, while the standby boots, once all is up. */
const MOMENTS: Array<{ name: string; when: (robusto: RobustoProcess) => Promise<unknown> }> = [
  { name: 'while the supervisor loads', when: () => new Promise((resolve) => setTimeout(resolve, 150)) },
  { name: 'while the first worker builds its app', when: (r) => r.waitForLine((l) => l.msg === 'robusto supervisor starting workers', 60_000) },
  { name: 'while the standby boots', when: (r) => r.waitForLine((l) => l.msg === 'worker ready', 60_000) },
  { name: 'once everything is up', when: (r) => r.waitForLine((l) => l.msg === 'standby worker ready', 60_000) },
];

describe('robusto start under signals at any moment of its start-up', () => {
  // SIGTERM to a supervisor that is up is what every other supervisor test ends with.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const moment of signal === 'SIGINT' ? MOMENTS : MOMENTS.slice(1, 3)) {
      it(`${signal} ${moment.name} (to the whole process group for SIGINT, as Ctrl+C; to the supervisor alone for SIGTERM): every process gone within 5 s, no crash, no supervisor file left`, async () => {
        const robusto = await spawnRobusto({ args: ['start'], env: { WORKERS: '1', SHUTDOWN_TIMEOUT_MS: '10000', RATE_LIMITS: 'off' }, detached: true });
        running.push(robusto);
        const pgid = robusto.child.pid as number;
        await moment.when(robusto);
        const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
          robusto.child.once('exit', (code, by) => resolve({ code, signal: by })),
        );
        const at = Date.now();
        if (signal === 'SIGINT') process.kill(-pgid, 'SIGINT');
        else process.kill(pgid, 'SIGTERM');
        const { code, signal: by } = await exit;
        expect(await until(() => !groupAlive(pgid), 5_000), 'no worker outlives the supervisor').toBe(true);
        expect(Date.now() - at).toBeLessThan(5_000);
        // Killed by the signal itself only before it installed its handlers (it has no file then).
        expect(code === 0 || by === signal, robusto.output()).toBe(true);
        expect(robusto.output()).not.toMatch(/EPIPE|uncaught|Unhandled|did not stop in time/i);
        expect(SUPERVISOR_FILES.filter((file) => existsSync(path.join(robusto.dataDir, file)))).toEqual([]);
      }, 120_000);
    }
  }
});

describe("operations commands run from a folder that is not robusto's", () => {
  it('status, reload and doctor say robusto is not running there and create nothing', async () => {
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'robusto-elsewhere-'));
    for (const args of [['status'], ['status', '--json'], ['reload'], ['doctor']]) {
      const command = await spawnRobusto({ args, cwd: elsewhere, env: { DATA_DIR: './data' } });
      const code = await command.exited;
      if (args[0] === 'doctor') expect(command.output()).toContain('no database yet at');
      else expect(code, command.output()).toBe(1);
      const says = {
        doctor: /✓ data directory: .* robusto start creates data, data\/logs/,
        json: /"running": false/,
        other: /not running|no running robusto supervisor/,
      };
      expect(command.output()).toMatch(args[0] === 'doctor' ? says.doctor : args[1] === '--json' ? says.json : says.other);
      expect(readdirSync(elsewhere), `after robusto ${args.join(' ')}`).toEqual([]);
    }
  }, 60_000);
});
