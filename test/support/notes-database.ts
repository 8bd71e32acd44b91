// A bare Database (createDb, no app) with one `notes` table, for the tests of the database layer
// itself: transactions, group commit. It records every statement run.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, type TestEngine } from './test-database.js';

/** The tables of {@link openNotesDatabase}. */
export interface NotesTables {
  notes: { id: string; title: string };
}

/** A database with a `notes` table, the statements it ran, and how to close and remove it. */
export interface NotesDatabase {
  db: Database;
  kysely: Kysely<NotesTables>;
  /** Every statement run, in order (clear it between checks). */
  statements: string[];
  close(): Promise<void>;
}

/** Opens a new database of `engine` (a temp DATA_DIR, or a new PostgreSQL database) with a `notes` table. */
export async function openNotesDatabase(engine: TestEngine, env: Record<string, string> = {}): Promise<NotesDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-notes-'));
  const pgDatabase = engine === 'postgres' ? await createTestDatabase() : undefined;
  const { config } = loadConfig({ DATA_DIR: dir, ...env, ...(pgDatabase ? { DATABASE_URL: pgDatabase.url } : {}) }, { cwd: dir, ignoreDotEnv: true });
  const statements: string[] = [];
  const db = createDb(config, pino({ level: 'silent' }), { onQuery: (text) => void statements.push(text) });
  const kysely = db.kysely as Kysely<NotesTables>;
  await kysely.schema
    .createTable('notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .execute();
  return {
    db,
    kysely,
    statements,
    close: async () => {
      await db.close();
      await pgDatabase?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
