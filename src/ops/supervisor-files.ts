import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENV_VARIABLES } from '../config/config.schema.js';
import type { Logger } from '../log/create-logger.js';

/** One worker as the status file shows it. */
export interface WorkerStatus {
  id: number;
  pid: number | null;
  startedAt: string;
  state: 'starting' | 'standby' | 'ready' | 'stopping';
}

/** What `robusto status` reads: the supervisor's view of its workers. */
export interface SupervisorStatus {
  pid: number;
  startedAt: string;
  updatedAt: string;
  state: 'running' | 'reloading' | 'stopping';
  /** Where its workers listen (`http://HOST:PORT`). */
  address: string;
  engine: 'sqlite' | 'postgres';
  workersWanted: number;
  workers: WorkerStatus[];
  /** Workers started to replace one that died. */
  restarts: number;
  reloads: number;
  lastCrash: { at: string; pid: number | null; reason: string } | null;
  crashLoop: boolean;
}

/** The supervisor's pid file in `dataDir`. */
export function pidFileOf(dataDir: string): string {
  return path.join(dataDir, 'robusto.pid');
}

/** The supervisor's status file in `dataDir`. */
export function statusFileOf(dataDir: string): string {
  return path.join(dataDir, 'robusto.status.json');
}

/** The supervisor's launch file in `dataDir`: how it was started (see {@link SupervisorLaunchRecord}). */
export function launchFileOf(dataDir: string): string {
  return path.join(dataDir, 'robusto.launch.json');
}

/**
 * How a supervisor was started, as it records it for the commands that act on it (`restart`,
 * `status`, `reload`, `doctor`): its folder and robusto's own variables from its environment
 * (`.env` is read again from `cwd`). With these a command reads the server's settings as the
 * server does, whatever the environment of the shell it runs in. Kept private (mode 0600): it
 * holds `DATABASE_URL` and `SECRET_KEY` when they were set.
 */
export interface SupervisorLaunchRecord {
  pid: number;
  cwd: string;
  env: Record<string, string>;
}

/** robusto's own variables (those of `ENV_VARIABLES`) present in `env`. */
export function robustoVariablesOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const own: Record<string, string> = {};
  for (const name of Object.keys(ENV_VARIABLES)) {
    const value = env[name];
    if (value !== undefined) own[name] = value;
  }
  return own;
}

/** Records how this process was started (write, then rename, mode 0600). */
export function writeLaunchFile(dataDir: string): void {
  const file = launchFileOf(dataDir);
  const record: SupervisorLaunchRecord = { pid: process.pid, cwd: process.cwd(), env: robustoVariablesOf(process.env) };
  writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/** What the supervisor `pid` recorded of its start, if its launch file names it. */
export function readLaunchFile(dataDir: string, pid: number): SupervisorLaunchRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(launchFileOf(dataDir), 'utf8')) as SupervisorLaunchRecord;
    return record.pid === pid && typeof record.cwd === 'string' && typeof record.env === 'object' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Writes this process's pid to the pid file (write, then rename: a reader never sees half of it). */
export function writePidFile(dataDir: string): void {
  const file = pidFileOf(dataDir);
  writeFileSync(`${file}.${process.pid}.tmp`, `${process.pid}\n`);
  renameSync(`${file}.${process.pid}.tmp`, file);
}

/**
 * Replaces the status file (write, then rename: a reader never sees half of it). A failure is
 * logged, never fatal: the status file is for people, the workers matter more.
 */
export function writeStatusFile(dataDir: string, status: SupervisorStatus, log: Logger): void {
  const file = statusFileOf(dataDir);
  try {
    writeFileSync(`${file}.tmp`, `${JSON.stringify(status, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  } catch (error) {
    log.warn({ err: error, file }, 'cannot write the status file');
  }
}

/**
 * Removes the pid, launch and status files when they name this process (never another
 * supervisor's): called on every way out of the supervisor, so no file says it still runs.
 */
export function removeSupervisorFiles(dataDir: string): void {
  const ours = (file: string, pidOf: (text: string) => unknown): void => {
    try {
      if (pidOf(readFileSync(file, 'utf8')) === process.pid) rmSync(file, { force: true });
    } catch {
      // gone already, or unreadable: not ours to remove
    }
  };
  ours(pidFileOf(dataDir), (text) => Number(text.trim()));
  ours(launchFileOf(dataDir), (text) => (JSON.parse(text) as SupervisorLaunchRecord).pid);
  ours(statusFileOf(dataDir), (text) => (JSON.parse(text) as SupervisorStatus).pid);
}

/** True while a process with this pid exists (one of another user's counts too). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running supervisor's pid, or undefined if there is no pid file or its process is gone. */
export function runningSupervisorPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFileOf(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined;
}

/** The last status the supervisor wrote, if any. */
export function readStatusFile(dataDir: string): SupervisorStatus | undefined {
  try {
    return JSON.parse(readFileSync(statusFileOf(dataDir), 'utf8')) as SupervisorStatus;
  } catch {
    return undefined;
  }
}
