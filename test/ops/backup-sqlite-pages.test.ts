import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_PAGE_ROWS, createBackup } from '../../src/ops/backup/backup.js';
import type { BackupManifest } from '../../src/ops/backup/manifest.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

/** The rows of a table file, parsed, in the file's order. */
function rowsInFile(dir: string, manifest: BackupManifest, table: string): Array<Record<string, unknown>> {
  const entry = manifest.tables.find((t) => t.name === table);
  if (!entry) throw new Error(`no table ${table} in the backup`);
  const lines = gunzipSync(readFileSync(path.join(dir, entry.file)))
    .toString('utf8')
    .split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Values a module's table may hold: text with quotes, escapes and accents, reals, integers, nulls. */
function valuesOf(i: number): [string, number | null, number, string | null] {
  const text = i % 7 === 0 ? `linha "${i}"\n\ttab \\ barra \u0001 ção 🙂` : `nota ${i}`;
  return [text, i % 5 === 0 ? null : i / 8 + 0.1, i * 1_000_003, i % 3 === 0 ? null : `x${i}`];
}

describe('backup of SQLite tables, a page at a time', () => {
  let t: TestApp;
  let root: string;
  let backup: { dir: string; manifest: BackupManifest };
  const count = BACKUP_PAGE_ROWS * 2 + 17;

  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    root = mkdtempSync(path.join(os.tmpdir(), 'robusto-sqlite-pages-'));
    const db = t.app.db.kysely;
    await sql`create table notes_keyed (owner text not null, seq integer not null, body text not null, ratio real, big integer, tag text, primary key (owner, seq)) without rowid`.execute(
      db,
    );
    await sql`create table notes_rowid (id text primary key, body text not null, ratio real, big integer, tag text)`.execute(db);
    for (let i = 0; i < count; i++) {
      const [body, ratio, big, tag] = valuesOf(i);
      // Keys inserted out of order: the file follows the key (WITHOUT ROWID) or the rowid, not the insertion.
      await sql`insert into notes_keyed values (${i % 2 === 0 ? 'b' : 'a'}, ${count - i}, ${body}, ${ratio}, ${big}, ${tag})`.execute(db);
      if (i < BACKUP_PAGE_ROWS - 2) {
        await sql`insert into notes_rowid (rowid, id, body, ratio, big, tag) values (${i}, ${`n-${count - i}`}, ${body}, ${ratio}, ${big}, ${tag})`.execute(db);
      }
    }
    // Rowids past 2^53, which a JavaScript number cannot tell apart, the first page ending on 2^53 + 1:
    // the next page must start after it, not after 2^53 (where a number would round it to).
    await sql`insert into notes_rowid (rowid, id, body) values (9007199254740992, 'past-1', 'um'), (9007199254740993, 'past-2', 'dois'), (9007199254740994, 'past-3', 'três')`.execute(
      db,
    );
    backup = await createBackup(t.app.db, { root, robustoVersion: 'test' });
  });
  afterAll(async () => {
    await t.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes every row of a table WITHOUT ROWID once, in the order of its primary key, with its values as the engine gives them', async () => {
    const { rows } = await sql<Record<string, unknown>>`select * from notes_keyed order by owner, seq`.execute(t.app.db.kysely);
    const written = rowsInFile(backup.dir, backup.manifest, 'notes_keyed');
    expect(written).toHaveLength(count);
    expect(written).toEqual(rows);
    expect(Object.keys(written[0] ?? {})).toEqual(['owner', 'seq', 'body', 'ratio', 'big', 'tag']);
    expect(backup.manifest.tables.find((table) => table.name === 'notes_keyed')?.rows).toBe(count);
  });

  it('writes every row of a rowid table once, in rowid order, the rows past 2^53 included', async () => {
    const { rows } = await sql<Record<string, unknown>>`select * from notes_rowid order by rowid`.execute(t.app.db.kysely);
    const written = rowsInFile(backup.dir, backup.manifest, 'notes_rowid');
    expect(written).toHaveLength(BACKUP_PAGE_ROWS + 1);
    expect(written).toEqual(rows);
    expect(written.slice(-3).map((row) => row.id)).toEqual(['past-1', 'past-2', 'past-3']);
  });

  it('writes each line as JSON.stringify writes the row', async () => {
    const { rows } = await sql<Record<string, unknown>>`select * from notes_rowid order by rowid limit 50`.execute(t.app.db.kysely);
    const entry = backup.manifest.tables.find((table) => table.name === 'notes_rowid');
    const lines = gunzipSync(readFileSync(path.join(backup.dir, entry?.file ?? '')))
      .toString('utf8')
      .split('\n');
    expect(lines.slice(0, 50)).toEqual(rows.map((row) => JSON.stringify(row)));
  });
});
