import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * True when this process can mount a filesystem (root with the right to mount, as in CI): the
 * small-disk tests need it. Found by mounting and unmounting a tiny tmpfs, since being root is
 * not enough in a container without that right.
 */
export const CAN_MOUNT = ((): boolean => {
  if (process.getuid?.() !== 0) return false;
  try {
    unmountSmallDisk(mountSmallDisk(1));
    return true;
  } catch {
    return false;
  }
})();

/**
 * Mounts a tmpfs of `megabytes` on a new temp directory and returns it: a disk a test can fill
 * up, to see what robusto does when writes hit "no space left on device".
 */
export function mountSmallDisk(megabytes: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m,mode=0700`, 'tmpfs', dir]);
  return dir;
}

/**
 * Unmounts a disk of {@link mountSmallDisk} and removes its directory. A file a failed test left
 * open makes the disk busy: it is then detached lazily (freed once the file is closed), so a
 * failure never leaves a mount behind.
 */
export function unmountSmallDisk(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', dir]);
  }
  rmSync(dir, { recursive: true, force: true });
}
