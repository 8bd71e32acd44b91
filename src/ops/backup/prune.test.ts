import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupDirName } from './backup.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, MANIFEST_FILE } from './manifest.js';
import { pruneBackups } from './prune.js';

const DAY = 86_400_000;
const now = new Date('2026-12-01T12:00:00.000Z');
let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A backup directory made `daysAgo` days before `now` (only its manifest matters to prune). */
function backupMade(daysAgo: number): string {
  const createdAt = new Date(now.getTime() - daysAgo * DAY);
  const dir = path.join(root, backupDirName(createdAt));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, MANIFEST_FILE),
    JSON.stringify({
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      createdAt: createdAt.toISOString(),
      engine: 'sqlite',
      migrations: {},
      tables: [],
    }),
  );
  return dir;
}

describe('pruneBackups', () => {
  it('deletes backups older than the kept days, keeps the recent ones and whatever is not a backup', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-prune-'));
    const recent = [backupMade(0), backupMade(29)];
    const old = [backupMade(31), backupMade(400)];
    const stranger = path.join(root, 'notes');
    mkdirSync(stranger);
    const noManifest = path.join(root, backupDirName(new Date(now.getTime() - 90 * DAY)));
    mkdirSync(noManifest);
    expect((await pruneBackups(root, { now, keepDays: 30 })).sort()).toEqual(old.sort());
    for (const dir of [...recent, stranger, noManifest]) expect(existsSync(dir)).toBe(true);
    for (const dir of old) expect(existsSync(dir)).toBe(false);
  });

  it('always keeps the newest backup, however old', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-prune-'));
    const newest = backupMade(45);
    const older = backupMade(60);
    expect(await pruneBackups(root, { now, keepDays: 30 })).toEqual([older]);
    expect(existsSync(newest)).toBe(true);
    expect(await pruneBackups(path.join(root, 'missing'), { now })).toEqual([]);
  });
});
