// A backup counts only once it reads back: one that does not is removed, never left among the
// good ones looking like one.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../../src/builtin-modules.js';
import { createVerifiedBackup } from '../../src/ops/backup/verified-backup.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { fixtureModule, fixtureSource } from '../support/fixtures.js';

describe('a verified backup', () => {
  let t: TestApp;
  let root: string;
  beforeAll(async () => {
    // A user module's table is in the database: a copy is sound only when checked knowing that module.
    t = await buildTestApp({ engine: 'sqlite', modules: [...BUILTIN_MODULES, fixtureSource('versioned_notes')] });
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-verified-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a copy that reads back is kept', async () => {
    const made = await createVerifiedBackup(t.app.db, { root, robustoVersion: 'test', extraModules: [fixtureModule('versioned_notes')] });
    expect(readdirSync(root)).toEqual([path.basename(made.dir)]);
  });

  it('a copy that does not read back (checked without the module that made one of its tables) is refused with ERR_BACKUP_DAMAGED and its directory removed', async () => {
    const before = readdirSync(root);
    const failed = await createVerifiedBackup(t.app.db, { root, robustoVersion: 'test' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toMatchObject({ code: 'ERR_BACKUP_DAMAGED', message: expect.stringMatching(/did not read back .* it was removed/) });
    expect(readdirSync(root)).toEqual(before);
  });
});
