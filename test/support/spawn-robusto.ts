import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root directory. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The compiled `robusto` binary, as `npm install` builds it. */
export const ROBUSTO_BIN = path.join(PROJECT_ROOT, 'dist', 'src', 'main.js');

/** A port nobody listens on right now (127.0.0.1). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A running `robusto` process spawned by a test. */
export interface RobustoProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dataDir: string;
  /** `http://127.0.0.1:<port><path>`. */
  url(pathname: string): string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The JSON log lines so far. */
  lines(): Array<Record<string, unknown>>;
  /** Resolves with the first log line matching, or rejects after `timeoutMs`. */
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves once `/health/ready` answers 200. */
  waitForReady(timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code once the process is gone. */
  readonly exited: Promise<number | null>;
  /** Kills with SIGKILL if still running (for afterEach). */
  destroy(): Promise<void>;
}

/** Options of {@link spawnRobusto}. */
export interface SpawnOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Node.js options placed before the binary (workers of `start` inherit them). */
  nodeArgs?: string[];
  /** Binary to run instead of the project's (a copied install). */
  bin?: string;
  cwd?: string;
  port?: number;
  /** Written to the process's stdin, which is then closed. */
  stdin?: string;
  /** Use this data directory instead of a new temp one. */
  dataDir?: string;
  /** Lead a process group of its own (with its workers), as a terminal's foreground job does: signal it with `process.kill(-pid)`. */
  detached?: boolean;
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, output: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Spawns the real `robusto` binary with a clean environment (PATH and HOME, a temp `DATA_DIR`,
 * a free `PORT`, plus `env`), collecting its output.
 */
export async function spawnRobusto(options: SpawnOptions = {}): Promise<RobustoProcess> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'robusto-e2e-'));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? ROBUSTO_BIN, ...(options.args ?? ['serve'])], {
    cwd: options.cwd ?? dataDir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: String(port), ...options.env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const lines = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const url = (pathname: string): string => `http://127.0.0.1:${port}${pathname}`;
  return {
    child,
    port,
    dataDir,
    url,
    output: () => out,
    lines,
    exited,
    waitForLine: (match, timeoutMs = 15_000) =>
      until(
        () => lines().find(match),
        timeoutMs,
        'a log line',
        () => out,
      ),
    waitForReady: async (timeoutMs = 15_000) => {
      await until(
        async () => {
          if (gone) throw new Error(`robusto exited before it was ready; output:\n${out.slice(-4000)}`);
          const response = await fetch(url('/health/ready')).catch(() => undefined);
          return response?.status === 200 ? true : undefined;
        },
        timeoutMs,
        '/health/ready',
        () => out,
      );
    },
    destroy: async () => {
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Signs in as the owner a first start creates (password from `DATA_DIR/initial-admin.txt`); returns the token. */
export async function loginAsInitialAdmin(robusto: RobustoProcess): Promise<string> {
  const file = readFileSync(path.join(robusto.dataDir, 'initial-admin.txt'), 'utf8');
  const password = /^password: (\S+)$/m.exec(file)?.[1];
  const response = await fetch(robusto.url('/api/auth/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant: 'default', email: 'admin@localhost', password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}
