import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '../../src/modules/module.js';
import { withRetry } from '../../src/resilience/retry.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

// A module writing through the kernel's retry helper, as every write path does.
const notes = defineModule({
  name: 'notes',
  migrations: {
    '0001_create_notes': {
      up: async (db) => {
        await db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('text', 'text', (c) => c.notNull()).execute();
      },
    },
  },
  routes: async (app, ctx) => {
    app.post('/', { config: { public: true } }, async (request, reply) => {
      const text = (request.body as { text: string }).text;
      await withRetry(() => ctx.db.kysely.transaction().execute((tx) => tx.insertInto('notes').values({ text }).execute()));
      return reply.code(201).send({ text });
    });
  },
});

describe('SQLite locked by another connection (seed: "SQLite locked por outro processo por 2 segundos")', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite', modules: [{ name: 'notes', origin: 'test', load: async () => ({ default: notes }) }] });
  });
  afterAll(() => t.close());

  it('a write waiting 2 s for the lock still succeeds, and the server keeps answering meanwhile', async () => {
    const other = new SqliteDatabase(t.config.paths.sqliteFile);
    other.exec('BEGIN IMMEDIATE');
    other.prepare('insert into notes (text) values (?)').run('held by another process');
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        other.exec('COMMIT');
        other.close();
        resolve();
      }, 2000),
    );

    const started = Date.now();
    const write = t.app.http.inject({ method: 'POST', url: '/api/notes', payload: { text: 'from robusto' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const liveStarted = Date.now();
    const live = await t.app.http.inject('/health/live');
    expect(live.statusCode).toBe(200);
    expect(Date.now() - liveStarted).toBeLessThan(500);

    const response = await write;
    await released;
    expect(response.statusCode).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const rows = await sql<{ text: string }>`select text from notes order by id`.execute(t.app.db.kysely);
    expect(rows.rows.map((r) => r.text)).toEqual(['held by another process', 'from robusto']);
  });
});
