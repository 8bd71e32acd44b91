import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
  state: 'running' | 'reloading' | 'stopping' | 'stopped';
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
 * Removes the pid file on a clean stop when it names this process (never another supervisor's);
 * the status file stays, saying `stopped`.
 */
export function removeSupervisorFiles(dataDir: string): void {
  const file = pidFileOf(dataDir);
  let named: string;
  try {
    named = readFileSync(file, 'utf8').trim();
  } catch {
    return;
  }
  if (named === String(process.pid)) rmSync(file, { force: true });
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
