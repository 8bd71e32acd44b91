import { chmodSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DoctorCheck } from './doctor/doctor-check.js';

/** The files in `DATA_DIR` that hold secrets or personal data (password hashes, CPFs, the secret key). */
const PRIVATE_FILES = ['robusto.db', 'journal.db', 'principals.db'].flatMap((db) => [db, `${db}-wal`, `${db}-shm`]).concat(['secret.key', 'initial-admin.txt']);

/** Those of {@link PRIVATE_FILES} that exist in `dataDir`. */
function privateFilesIn(dataDir: string): string[] {
  return PRIVATE_FILES.map((name) => path.join(dataDir, name)).filter((file) => existsSync(file));
}

function looser(file: string, allowed: number): boolean {
  return (statSync(file).mode & 0o777 & ~allowed) !== 0;
}

/**
 * Makes `DATA_DIR` readable by its owner only (0700) and its private files 0600: what robusto
 * writes from now on is created so (the binary runs with umask 077), and an installation made
 * before, or files copied in, are brought in line at start.
 */
export function keepDataDirPrivate(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  chmodSync(dataDir, 0o700);
  for (const file of privateFilesIn(dataDir)) chmodSync(file, 0o600);
}

/** Checks that `DATA_DIR` is 0700 and its private files 0600; ✗ with the `chmod` that fixes it. */
export function checkFileModes(dataDir: string): DoctorCheck {
  if (!existsSync(dataDir)) return { name: 'file modes', ok: true, detail: `${dataDir} does not exist yet; robusto creates it readable by its owner only` };
  const loose = [...(looser(dataDir, 0o700) ? [dataDir] : []), ...privateFilesIn(dataDir).filter((file) => looser(file, 0o600))];
  if (loose.length === 0) return { name: 'file modes', ok: true, detail: `${dataDir} and its databases and keys are readable by their owner only` };
  const dirLoose = loose[0] === dataDir;
  const files = dirLoose ? loose.slice(1) : loose;
  const fixes = [...(dirLoose ? [`chmod 700 ${dataDir}`] : []), ...(files.length > 0 ? [`chmod 600 ${files.join(' ')}`] : [])];
  return {
    name: 'file modes',
    ok: false,
    detail: `readable by other users of this machine: ${loose.map((f) => `${f} (${(statSync(f).mode & 0o777).toString(8)})`).join(', ')}; they hold password hashes and personal data`,
    fix: `${fixes.join('; ')} (robusto start and serve also do it)`,
  };
}
