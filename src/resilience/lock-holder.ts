import os from 'node:os';
import { newId } from '../shared/ids.js';

/**
 * A name for this process as the holder of a lease or lock shared through a file (`host|pid`,
 * plus `|<id>` when one process may hold several): other processes can tell from it whether
 * the holder is gone ({@link holderGone}).
 */
export function holderName(options: { unique?: boolean } = {}): string {
  return `${os.hostname()}|${process.pid}${options.unique ? `|${newId()}` : ''}`;
}

/**
 * True when a lease or lock holder named by {@link holderName} is a process of this machine that
 * no longer runs (killed with -9 while it held it): what it held is taken over at once instead
 * of after its expiry. A holder on another machine is never known to be gone.
 */
export function holderGone(holder: string): boolean {
  const [host, pid] = holder.split('|');
  if (host !== os.hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
