import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '../supervisor-files.js';

/** The lock that keeps two restarts of one installation from running at once. */
export function restartLockOf(dataDir: string): string {
  return path.join(dataDir, 'restart.lock');
}

/**
 * Takes the restart lock of `dataDir` (a file holding this process's pid), or says who holds
 * it. A lock whose process is gone (a restart interrupted by a crash) is taken over. Returns the
 * function that releases it.
 *
 * @throws {Error} when a live restart holds it, or the file cannot be written (with why).
 */
export function acquireRestartLock(dataDir: string): () => void {
  const lock = restartLockOf(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new Error(`cannot write the restart lock ${lock}: ${(error as Error).message}`, { cause: error });
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder))
        throw new Error(`another restart of ${dataDir} is running (pid ${holder}, ${lock})`, { cause: error });
      // Its restart died without cleaning up: the lock is stale.
      rmSync(lock, { force: true });
    }
  }
  throw new Error(`cannot take the restart lock ${lock}: another restart keeps taking it`);
}
