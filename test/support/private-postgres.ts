/**
 * A private PostgreSQL server that a test starts, kills and restarts itself,
 * in a temporary directory and on its own port, so kill -9 and restart tests
 * never touch the shared server on 5432.
 *
 * The Unix socket directory is the temporary directory too, so nothing
 * collides with another server's socket or lock files.
 */
import { execFile } from 'node:child_process';
import { chownSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './spawn-robusto.js';

const execFileAsync = promisify(execFile);

/** Where the PostgreSQL 15 server binaries live. */
const PG_BIN = '/usr/lib/postgresql/15/bin';
/** How long start() waits for the server to accept connections. */
const START_TIMEOUT_MS = 30_000;
/** How long stop() and kill9() wait for the server to go away. */
const STOP_TIMEOUT_MS = 30_000;

/** A private PostgreSQL server in a temporary directory, controlled by the test. */
export interface PrivatePostgres {
  /** The TCP port the server listens on, on 127.0.0.1. */
  readonly port: number;
  /** The connection URL: postgres://postgres@127.0.0.1:<port>/postgres (trust auth). */
  readonly url: string;
  /** The data directory (inside the temporary directory). */
  readonly dataDir: string;
  /** Starts the server (again) on the same port and data dir; resolves when it accepts connections. */
  start(): Promise<void>;
  /** Stops the server gracefully (pg_ctl stop -m fast); resolves when it is stopped. */
  stop(): Promise<void>;
  /** Kills the postmaster with SIGKILL; resolves when the port no longer accepts connections and its children are gone. */
  kill9(): Promise<void>;
  /**
   * Stalls the server: SIGSTOP to the postmaster and every process it started. The kernel still
   * accepts connections and buffers what clients send, but nothing answers until {@link resume}.
   */
  pause(): Promise<void>;
  /** Undoes {@link pause}: SIGCONT to the postmaster and its processes. Harmless when not paused. */
  resume(): Promise<void>;
  /** Promotes a standby to primary (pg_ctl promote); resolves when it accepts writes. */
  promote(): Promise<void>;
  /** Stops the server if it is running (immediate mode, or SIGKILL) and removes the temporary directory. */
  destroy(): Promise<void>;
}

/** Options of {@link startPrivatePostgres}. */
export interface PrivatePostgresOptions {
  /**
   * Makes the new server a streaming standby (hot standby, read-only) of this running one: its
   * data directory is a `pg_basebackup -R` of it instead of a new cluster. A cluster made here
   * accepts replication connections from 127.0.0.1 (initdb's trust lines, `wal_level=replica`).
   */
  standbyOf?: PrivatePostgres;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port. */
function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (result: boolean): void => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Returns true if `pid` is a live process (a zombie counts as dead). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Without /proc (or if it just vanished) trust kill(0); the next poll re-checks.
  const state = procState(pid);
  return state !== 'Z' && state !== 'X';
}

/** Parses /proc/<pid>/stat; undefined if the process or /proc is gone. */
async function procStat(pid: number): Promise<{ state: string; ppid: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return parseStat(stat);
  } catch {
    return undefined;
  }
}

function parseStat(stat: string): { state: string; ppid: number } | undefined {
  // "pid (comm) state ppid ..." where comm may contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  return state === undefined || !Number.isInteger(ppid) ? undefined : { state, ppid };
}

function procState(pid: number): string | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state;
  } catch {
    return undefined;
  }
}

/** Lists the pids of the direct children of `parent` (Linux /proc; empty elsewhere). */
async function childPids(parent: number): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await procStat(Number(entry));
    if (stat?.ppid === parent) children.push(Number(entry));
  }
  return children;
}

/** Waits until `predicate()` resolves true, polling every `intervalMs`, or throws after `timeoutMs`. */
async function waitUntil(predicate: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`private-postgres: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Creates a fresh cluster in a temporary directory (initdb), or a standby of another private
 * server (see {@link PrivatePostgresOptions}), starts it on a free port and resolves when it
 * accepts connections. Call destroy() when done.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'robusto-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const pidFile = path.join(dataDir, 'postmaster.pid');

  /** Runs a PostgreSQL binary, as the `postgres` OS user when we are root. */
  const run = async (binary: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> => {
    const file = path.join(PG_BIN, binary);
    const [cmd, cmdArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    return execFileAsync(cmd, cmdArgs, { cwd: dir, timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' });
  };

  const logTail = async (lines = 30): Promise<string> => {
    try {
      const text = await readFile(logFile, 'utf8');
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  };

  /** Wraps a failed command into an Error carrying its output and the server log tail. */
  const failure = async (what: string, err: unknown): Promise<Error> => {
    const e = err as { message?: string; stdout?: string; stderr?: string };
    const output = [e.stdout, e.stderr].filter((s) => s !== undefined && s.trim() !== '').join('\n');
    return new Error(`private-postgres: ${what} failed: ${e.message ?? String(err)}\n${output}\n--- server log tail (${logFile}) ---\n${await logTail()}`, {
      cause: err,
    });
  };

  const readPostmasterPid = async (): Promise<number | undefined> => {
    try {
      const firstLine = (await readFile(pidFile, 'utf8')).split('\n')[0] ?? '';
      const pid = Number.parseInt(firstLine.trim(), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };

  /** Returns the postmaster pid if the server recorded in postmaster.pid is running. */
  const runningPid = async (): Promise<number | undefined> => {
    const pid = await readPostmasterPid();
    return pid !== undefined && isAlive(pid) ? pid : undefined;
  };

  const isReady = async (): Promise<boolean> => {
    try {
      await execFileAsync(path.join(PG_BIN, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '2'], {
        timeout: 5000,
        encoding: 'utf8',
      });
      return true;
    } catch {
      return false;
    }
  };

  let port = 0;
  try {
    if (asRoot) {
      const uid = Number((await execFileAsync('id', ['-u', 'postgres'], { encoding: 'utf8' })).stdout.trim());
      const gid = Number((await execFileAsync('id', ['-g', 'postgres'], { encoding: 'utf8' })).stdout.trim());
      chownSync(dir, uid, gid);
    }
    if (options.standbyOf) {
      try {
        // -R writes standby.signal and primary_conninfo; a fast checkpoint starts the copy at once.
        const source = ['-h', '127.0.0.1', '-p', String(options.standbyOf.port), '-U', 'postgres'];
        await run('pg_basebackup', [...source, '-D', dataDir, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync'], 120_000);
      } catch (err) {
        throw await failure(`pg_basebackup of the server on port ${options.standbyOf.port}`, err);
      }
    } else {
      try {
        // --locale=C keeps the cluster independent of the host's installed locales.
        await run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], 120_000);
      } catch (err) {
        throw await failure('initdb', err);
      }
    }
    port = await freePort();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  /** Waits until the given postmaster and the children it had are gone (or zombies) and the port is closed. */
  const waitGone = async (pid: number, children: number[]): Promise<void> => {
    await waitUntil(
      async () => !isAlive(pid) && children.every((child) => !isAlive(child)) && !(await acceptsConnections(port)),
      STOP_TIMEOUT_MS,
      `postmaster ${pid} and its children to exit`,
      50,
    );
  };

  /**
   * Removes lock files left by a postmaster that is dead or a zombie.
   *
   * PostgreSQL ignores a stale lock file by itself, but it checks the recorded
   * pid with kill(pid, 0), which also succeeds for a zombie. After kill9() the
   * postmaster has been reparented to pid 1, and in containers whose init does
   * not reap orphans it stays a zombie forever, which would block every restart.
   */
  const removeStaleLocks = async (): Promise<void> => {
    for (const file of [pidFile, path.join(dir, `.s.PGSQL.${port}.lock`)]) {
      let pid: number;
      try {
        pid = Number.parseInt(((await readFile(file, 'utf8')).split('\n')[0] ?? '').trim(), 10);
      } catch {
        continue; // no lock file
      }
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
      await rm(file, { force: true });
    }
  };

  const start = async (): Promise<void> => {
    await removeStaleLocks();
    const serverOptions = `-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica`;
    try {
      await run('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', String(START_TIMEOUT_MS / 1000), '-o', serverOptions, 'start'], START_TIMEOUT_MS + 10_000);
    } catch (err) {
      throw await failure(`pg_ctl start (port ${port})`, err);
    }
    try {
      await waitUntil(isReady, START_TIMEOUT_MS, `the server on port ${port} to accept connections`, 100);
    } catch (err) {
      throw await failure('waiting for the server', err);
    }
  };

  const stop = async (): Promise<void> => {
    const pid = await runningPid();
    if (pid === undefined) return;
    const children = await childPids(pid);
    try {
      await run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', String(STOP_TIMEOUT_MS / 1000), 'stop'], STOP_TIMEOUT_MS + 10_000);
    } catch (err) {
      throw await failure('pg_ctl stop', err);
    }
    await waitGone(pid, children);
  };

  const kill9 = async (): Promise<void> => {
    const pid = await runningPid();
    if (pid === undefined) throw new Error(`private-postgres: kill9(): no running postmaster in ${dataDir}`);
    // Remember the children first: once the postmaster dies they are reparented.
    // Waiting for them matters: a restart refuses to start while old backends
    // still hold the shared memory segment.
    const children = await childPids(pid);
    process.kill(pid, 'SIGKILL');
    await waitGone(pid, children);
  };

  /** Sends `signal` to the postmaster and its children; returns how many processes got it. */
  const signalAll = async (signal: NodeJS.Signals): Promise<number> => {
    const pid = await runningPid();
    if (pid === undefined) return 0;
    const pids = [pid, ...(await childPids(pid))];
    for (const target of pids) {
      try {
        process.kill(target, signal);
      } catch {
        // gone meanwhile
      }
    }
    return pids.length;
  };

  const pause = async (): Promise<void> => {
    if ((await signalAll('SIGSTOP')) === 0) throw new Error(`private-postgres: pause(): no running postmaster in ${dataDir}`);
  };

  const resume = async (): Promise<void> => {
    await signalAll('SIGCONT');
  };

  /**
   * Removes the small System V shared memory segment of a crashed server (after kill9()
   * without a restart); a restart or a clean stop removes it by itself. Best effort.
   */
  const removeOrphanSharedMemory = async (): Promise<void> => {
    let lines: string[];
    try {
      lines = (await readFile(pidFile, 'utf8')).split('\n');
    } catch {
      return; // clean shutdown: no pid file, no segment
    }
    const pid = Number.parseInt((lines[0] ?? '').trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return;
    // Line 7 of postmaster.pid holds "<shm key> <shm id>".
    const key = (lines[6] ?? '').trim().split(/\s+/)[0];
    if (key === undefined || !/^\d+$/.test(key) || key === '0') return;
    await execFileAsync('ipcrm', ['-M', key], { timeout: 5000 }).catch(() => {});
  };

  const promote = async (): Promise<void> => {
    try {
      await run('pg_ctl', ['-D', dataDir, '-w', '-t', String(START_TIMEOUT_MS / 1000), 'promote'], START_TIMEOUT_MS + 10_000);
    } catch (err) {
      throw await failure(`pg_ctl promote (port ${port})`, err);
    }
  };

  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    try {
      // A paused server would never stop.
      await resume();
      const pid = await runningPid();
      if (pid !== undefined) {
        const children = await childPids(pid);
        try {
          await run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], 20_000);
        } catch {
          if (isAlive(pid)) process.kill(pid, 'SIGKILL');
        }
        await waitGone(pid, children).catch(() => {});
      }
      await removeOrphanSharedMemory();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  const server: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    start,
    stop,
    kill9,
    pause,
    resume,
    promote,
    destroy,
  };

  try {
    await start();
  } catch (err) {
    await destroy().catch(() => {});
    throw err;
  }
  return server;
}
