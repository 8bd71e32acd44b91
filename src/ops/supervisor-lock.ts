import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { keepPrivate } from '../db/private-file.js';

/** The file whose lock says a supervisor serves this `DATA_DIR`. */
export function lockFileOf(dataDir: string): string {
  return path.join(dataDir, 'robusto.lock');
}

/** The claim of one supervisor on a `DATA_DIR`, held until {@link SupervisorLock.release} or the process's end. */
export interface SupervisorLock {
  release(): void;
}

/**
 * Claims `dataDir` for this supervisor, or answers undefined when another process holds it.
 *
 * The claim is an exclusive SQLite lock (a POSIX lock the operating system drops when its
 * process dies, even by kill -9), not the pid file: a pid file left by a crash, or a pid reused
 * by another program, can neither block a start nor let a second one through.
 */
export function claimDataDir(dataDir: string): SupervisorLock | undefined {
  const file = lockFileOf(dataDir);
  keepPrivate(file);
  const db = new Sqlite(file, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return undefined;
    throw error;
  }
  return {
    release() {
      if (db.open) db.close();
    },
  };
}
