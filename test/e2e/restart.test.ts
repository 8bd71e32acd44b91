// `robusto restart` against a real `robusto start`: backup and verify, graceful stop, start,
// checks, and a report; twice in a row; refused (the server untouched) when it cannot be safe.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStatusFile, runningSupervisorPid } from '../../src/ops/supervisor-files.js';
import { fixtureModule } from '../support/fixtures.js';
import { freePort, loginAsInitialAdmin, spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../support/test-database.js';

const RESTART_TIMEOUT_MS = 90_000;

async function stopDetached(dataDir: string): Promise<void> {
  const pid = runningSupervisorPid(dataDir);
  if (!pid) return;
  try {
    // The restarted supervisor leads its own process group (it was started detached).
    process.kill(-pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

describe.each(ENGINES)('robusto restart on %s', (engine) => {
  let database: TestDatabase | undefined;
  let server: RobustoProcess;
  let env: Record<string, string>;
  let token: string;
  let studentId: string;
  // Once this file names the running supervisor, the next one to start loses a row (see the fixture module).
  const markers = mkdtempSync(path.join(os.tmpdir(), 'robusto-restart-'));
  const loseARow = path.join(markers, 'lose-a-row');

  const restart = async (shell: { env?: Record<string, string>; port?: number } = {}) => {
    const run = await spawnRobusto({ args: ['restart'], dataDir: server.dataDir, port: shell.port ?? server.port, env: shell.env ?? env });
    const code = await Promise.race([run.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), RESTART_TIMEOUT_MS))]);
    return { code, output: run.output() };
  };
  const reportOf = (output: string) => readFileSync(/^report: (.+)$/m.exec(output)?.[1] ?? '', 'utf8');

  beforeAll(async () => {
    database = engine === 'postgres' ? await createTestDatabase() : undefined;
    env = {
      WORKERS: '1',
      SHUTDOWN_TIMEOUT_MS: '3000',
      BACKUP_SCHEDULE: 'off',
      LOG_LEVEL: 'warn',
      ROBUSTO_MODULES: fixtureModule('loses_a_row'),
      LOSE_A_ROW_AFTER: loseARow,
      ...(database ? { DATABASE_URL: database.url } : {}),
    };
    server = await spawnRobusto({ args: ['start'], env });
    await server.waitForReady(30_000);
    token = await loginAsInitialAdmin(server);
    const created = await fetch(server.url('/api/students'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Aluna Antes do Restart', birthDate: '2000-01-01', plan: 'Manhã' }),
    });
    expect(created.status).toBe(201);
    studentId = ((await created.json()) as { id: string }).id;
  }, 60_000);
  afterAll(async () => {
    await server?.destroy();
    if (server) await stopDetached(server.dataDir);
    await database?.drop();
    rmSync(markers, { recursive: true, force: true });
  });

  it(
    'refuses when the backup cannot be written, and leaves the running server as it was',
    async () => {
      const pid = runningSupervisorPid(server.dataDir);
      const backups = path.join(server.dataDir, 'backups');
      rmSync(backups, { recursive: true, force: true });
      writeFileSync(backups, 'a file where the backups should go');
      const { code, output } = await restart();
      rmSync(backups);
      expect(code).toBe(1);
      expect(output).toMatch(/✓ find: supervisor pid \d+/);
      expect(output).toMatch(/✗ backup: /);
      expect(output).toContain('the running server was not touched');
      expect(reportOf(output)).toMatch(/^# robusto restart — FAILURE/);
      expect(runningSupervisorPid(server.dataDir)).toBe(pid);
      expect((await fetch(server.url('/health/ready'))).status).toBe(200);
    },
    RESTART_TIMEOUT_MS,
  );

  it(
    "backs up, stops, starts a new server with every row, checks it and writes a report; and again from a shell whose PORT and DATABASE_URL differ: the server's own are used, the differences named",
    async () => {
      for (const round of [1, 2]) {
        const before = runningSupervisorPid(server.dataDir);
        // The second run's shell has another PORT and no DATABASE_URL: the restart must still back
        // up, stop, start and check the running server, on its own port and database.
        const shell = round === 1 ? {} : { port: await freePort(), env: Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'DATABASE_URL')) };
        const { code, output } = await restart(shell);
        expect(code, output).toBe(0);
        if (round === 2) {
          expect(output).toContain(`! PORT: the running server uses ${server.port}, this shell's environment says ${shell.port}; the server's is used`);
          if (engine === 'postgres')
            expect(output).toMatch(/! DATABASE_URL: the running server uses postgres:\/\/.*, this shell's environment says \(unset: SQLite in /);
          expect(output).toContain(`ready at http://127.0.0.1:${server.port}`);
        }
        for (const phase of ['find', 'backup', 'journal', 'stop', 'start', 'check']) expect(output).toMatch(new RegExp(`✓ ${phase}: `));
        const report = reportOf(output);
        expect(report).toMatch(/^# robusto restart — SUCCESS/);
        expect(report).toMatch(/\| students \| 1 \| 1 \| 1 \|/);
        const after = runningSupervisorPid(server.dataDir);
        expect(after).toBeDefined();
        expect(after).not.toBe(before);
        expect(readStatusFile(server.dataDir)?.workers.some((w) => w.state === 'ready')).toBe(true);
        if (round === 1) expect(await server.exited).toBe(0);
        const student = await fetch(server.url(`/api/students/${studentId}`), { headers: { authorization: `Bearer ${token}` } });
        expect(student.status).toBe(200);
      }
      const backups = readdirSync(path.join(server.dataDir, 'backups')).filter((name) => name.startsWith('robusto-backup-'));
      expect(backups).toHaveLength(2);
    },
    2 * RESTART_TIMEOUT_MS,
  );

  it(
    'fails its check, naming the table, when the new server has lost a row nobody deleted',
    async () => {
      writeFileSync(loseARow, String(runningSupervisorPid(server.dataDir)));
      const { code, output } = await restart();
      expect(code, output).toBe(1);
      for (const phase of ['find', 'backup', 'journal', 'stop', 'start']) expect(output).toMatch(new RegExp(`✓ ${phase}: `));
      expect(output).toMatch(
        /✗ check: tables hold fewer rows than at the stop and nobody has written since the start: students: 1 at the stop, 0 now\. Compare with the backup /,
      );
      const report = reportOf(output);
      expect(report).toMatch(/^# robusto restart — FAILURE/);
      expect(report).toMatch(/\| students \| 1 \| 1 \| 0 \|/);
      // The row is really gone; the backup made before the stop holds it (the report's first count).
      const student = await fetch(server.url(`/api/students/${studentId}`), { headers: { authorization: `Bearer ${token}` } });
      expect(student.status).toBe(404);
    },
    RESTART_TIMEOUT_MS,
  );

  it(
    'says so, and changes nothing, when robusto is not running',
    async () => {
      await stopDetached(server.dataDir);
      const deadline = Date.now() + 10_000;
      while (runningSupervisorPid(server.dataDir) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(runningSupervisorPid(server.dataDir), 'the killed supervisor is gone').toBeUndefined();
      const { code, output } = await restart();
      expect(code, output).toBe(1);
      expect(output).toMatch(/✗ find: robusto is not running for .*: start it with "robusto start"/);
      expect(reportOf(output)).toContain('the running server was not touched');
    },
    RESTART_TIMEOUT_MS,
  );
});

describe('robusto restart of a supervisor run by systemd', () => {
  let server: RobustoProcess | undefined;
  afterAll(async () => {
    // Stopped as systemd would (SIGTERM), so its workers go with it.
    server?.child.kill('SIGTERM');
    await Promise.race([server?.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
    await server?.destroy();
  });

  it('refuses, naming systemd and what to run instead, and leaves it running', async () => {
    // systemd sets INVOCATION_ID for every unit it starts.
    const env = { WORKERS: '1', BACKUP_SCHEDULE: 'off', LOG_LEVEL: 'warn', INVOCATION_ID: 'a1b2c3' };
    server = await spawnRobusto({ args: ['start'], env });
    await server.waitForReady(30_000);
    const pid = runningSupervisorPid(server.dataDir);
    const run = await spawnRobusto({ args: ['restart'], dataDir: server.dataDir, port: server.port, env });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(
      /✗ find: the supervisor \(pid \d+\) runs under systemd, which would start another one: restart it with "systemctl restart <its unit>"/,
    );
    expect(runningSupervisorPid(server.dataDir)).toBe(pid);
    expect((await fetch(server.url('/health/ready'))).status).toBe(200);
  }, 60_000);
});
