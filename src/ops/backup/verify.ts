import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { readManifest, type BackupManifest, type BackupTableEntry } from './manifest.js';

/** What `verify` found: the manifest, and one line per problem (none when the backup is sound). */
export interface VerifyReport {
  manifest: BackupManifest;
  problems: string[];
}

/**
 * Re-checks a backup against its manifest: every table file is there, has the recorded SHA-256,
 * unpacks, and holds the recorded number of rows, each a JSON object. Reads each file twice
 * (hash, then rows) rather than trusting one pass for both.
 *
 * @throws {BackupError} `ERR_BACKUP_NOT_A_BACKUP` when the manifest itself is missing or invalid.
 */
export async function verifyBackup(dir: string): Promise<VerifyReport> {
  const manifest = readManifest(dir);
  const problems: string[] = [];
  for (const table of manifest.tables) {
    const problem = await checkTable(dir, table);
    if (problem) problems.push(`${table.name} (${table.file}): ${problem}`);
  }
  return { manifest, problems };
}

async function checkTable(dir: string, table: BackupTableEntry): Promise<string | undefined> {
  const file = path.join(dir, table.file);
  if (!existsSync(file)) return 'the file is missing';
  let rows = 0;
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    if (sha256 !== table.sha256) return `SHA-256 is ${sha256}, the manifest says ${table.sha256}: the file was altered or damaged`;
    for await (const line of readLines(file)) {
      const row: unknown = JSON.parse(line);
      if (row === null || typeof row !== 'object' || Array.isArray(row)) return `line ${rows + 1} is not a row (a JSON object)`;
      rows++;
    }
  } catch (error) {
    return `it cannot be read back (${(error as Error).message})`;
  }
  return rows === table.rows ? undefined : `${rows} rows, the manifest says ${table.rows}`;
}

/** The non-empty lines of a gzipped NDJSON file. */
export async function* readLines(file: string): AsyncGenerator<string> {
  const gunzip = createGunzip();
  // NB: pipe() does not pass the file's errors on (a file gone or unreadable would be an
  // unhandled 'error' event, which stops the process): the reader fails with them instead.
  createReadStream(file)
    .on('error', (error) => gunzip.destroy(error))
    .pipe(gunzip);
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity });
  for await (const line of lines) if (line.length > 0) yield line;
}
