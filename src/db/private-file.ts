import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';

/**
 * Makes a SQLite file and its companions (`-wal`, `-shm`) readable by their owner only (0600),
 * whatever the umask: robusto's files hold password hashes and personal data. Call it before
 * SQLite opens the file: it is created so, and SQLite gives the companions it creates later the
 * mode of the database file.
 */
export function keepPrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
}
