import { chmodSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { text } from '../shared/i18n/translate.js';
import { doctorCheck, type DoctorCheck } from './doctor/doctor-check.js';

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
  if (!existsSync(dataDir)) return doctorCheck(text('doctor.name.fileModes'), true, text('doctor.modes.noDir', { dir: dataDir }));
  const loose = [...(looser(dataDir, 0o700) ? [dataDir] : []), ...privateFilesIn(dataDir).filter((file) => looser(file, 0o600))];
  if (loose.length === 0) return doctorCheck(text('doctor.name.fileModes'), true, text('doctor.modes.private', { dir: dataDir }));
  const dirLoose = loose[0] === dataDir;
  const files = dirLoose ? loose.slice(1) : loose;
  const fixes = [...(dirLoose ? [`chmod 700 ${dataDir}`] : []), ...(files.length > 0 ? [`chmod 600 ${files.join(' ')}`] : [])];
  return doctorCheck(
    text('doctor.name.fileModes'),
    false,
    text('doctor.modes.loose', { files: loose.map((f) => `${f} (${(statSync(f).mode & 0o777).toString(8)})`).join(', ') }),
    text('doctor.modes.fix', { commands: fixes.join('; ') }),
  );
}
