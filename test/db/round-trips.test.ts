// A write transaction on PostgreSQL sends BEGIN and the statements whose results nobody reads
// together with the next statement that needs the server: a transaction that only inserts is one
// round trip, COMMIT included. Counted on the wire, through a proxy that reads the client's
// protocol messages.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { insertRow } from '../../src/db/insert-rows.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

interface Tables {
  notes: { id: string; title: string; body: string | null };
}

describe('round trips of a PostgreSQL write transaction', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let dir: string;
  let db: Database;
  let kysely: Kysely<Tables>;
  let sent: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    proxy.listen((sql) => sent.push(sql));
    dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-round-trips-'));
    const { config } = loadConfig({ DATA_DIR: dir, DB_POOL_MAX: '2', DATABASE_URL: proxy.url(database.url) }, { cwd: dir, ignoreDotEnv: true });
    db = createDb(config, pino({ level: 'silent' }));
    kysely = db.kysely as Kysely<Tables>;
    await kysely.schema
      .createTable('notes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('body', 'text')
      .execute();
    // Each INSERT's shape is compiled on its first use, which runs it plainly: do that once.
    await db.transaction(async (tx: Transaction<Tables>) => insertRow(tx, 'notes', { id: 'warm', title: 'warm', body: null }));
  });
  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await kysely.deleteFrom('notes').execute();
    sent = [];
  });

  it('sends a transaction that only inserts as one message: BEGIN, the rows, COMMIT', async () => {
    await db.transaction(async (tx: Transaction<Tables>) => {
      await insertRow(tx, 'notes', { id: 'a', title: 'first', body: null });
      await insertRow(tx, 'notes', { id: 'b', title: 'second', body: 'text' });
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^begin;[^]*insert into "notes"[^]*insert into "notes"[^]*;\ncommit$/);
    expect(await kysely.selectFrom('notes').select(['id', 'title', 'body']).orderBy('id').execute()).toEqual([
      { id: 'a', title: 'first', body: null },
      { id: 'b', title: 'second', body: 'text' },
    ]);
  });

  it('stores every value exactly as a parameter would: quotes, backslashes, placeholders and emoji in the text', async () => {
    const titles = ["it's", 'back\\slash \\x00', '$1 and $2', "'); drop table notes; --", 'café 🎓 São João'];
    await db.transaction(async (tx: Transaction<Tables>) => {
      for (const [i, title] of titles.entries()) await insertRow(tx, 'notes', { id: `n${i}`, title, body: title });
    });
    expect(sent).toHaveLength(1);
    const rows = await kysely.selectFrom('notes').select(['title', 'body']).orderBy('id').execute();
    expect(rows).toEqual(titles.map((title) => ({ title, body: title })));
  });

  it('sends the rows held back with the next statement that needs an answer, in their order', async () => {
    const seen = await db.transaction(async (tx: Transaction<Tables>) => {
      await insertRow(tx, 'notes', { id: 'a', title: 'held', body: null });
      // The read must see the row inserted before it.
      return (await tx.selectFrom('notes').select('id').execute()).map((r) => r.id);
    });
    expect(seen).toEqual(['a']);
    // BEGIN, the held INSERT and the SELECT (its values written in) in one message, then COMMIT.
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^begin;[^]*insert into "notes"[^]*;\nselect "id" from "notes"$/);
    expect(sent[1]).toBe('commit');
  });

  it('sends a held row that failed with its COMMIT, rolls back, and rejects with the database error', async () => {
    await insertRow(kysely, 'notes', { id: 'taken', title: 'first', body: null });
    sent = [];
    const error = await db
      .transaction(async (tx: Transaction<Tables>) => {
        await insertRow(tx, 'notes', { id: 'new', title: 'not kept', body: null });
        await insertRow(tx, 'notes', { id: 'taken', title: 'duplicate', body: null });
      })
      .catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('23505');
    expect(sent).toEqual([expect.stringMatching(/commit$/), 'rollback']);
    expect(await kysely.selectFrom('notes').select('id').execute()).toEqual([{ id: 'taken' }]);
  });

  it('sends nothing for a transaction that wrote nothing, and no ROLLBACK for one that failed before reaching the server', async () => {
    await db.transaction(async () => undefined);
    await db
      .transaction(async (tx: Transaction<Tables>) => {
        await insertRow(tx, 'notes', { id: 'x', title: 'never sent', body: null });
        throw new Error('the handler refused');
      })
      .catch(() => undefined);
    expect(sent).toEqual([]);
    expect(await kysely.selectFrom('notes').select('id').execute()).toEqual([]);
  });

  it('sends a value with no literal form (a NUL) with its parameters, after the rows held, and the server refuses it', async () => {
    const error = await db
      .transaction(async (tx: Transaction<Tables>) => {
        await insertRow(tx, 'notes', { id: 'a', title: 'held', body: null });
        await insertRow(tx, 'notes', { id: 'b', title: 'nul\0byte', body: null });
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(sent[0]).toMatch(/^begin;[^]*insert into "notes"/);
    expect(sent[1]).toMatch(/^insert into "notes"[^]*\$1/);
    expect(await kysely.selectFrom('notes').select('id').execute()).toEqual([]);
  });
});
