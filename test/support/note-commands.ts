// Commands on the `notes` table of a bare database with the core tables (keys, audit rows): what
// the unit tests of the dispatcher and the replayer run, recording each call of their handlers.
import { defineCommand, type CommandContext } from '../../src/resilience/command.js';
import { migrateOwner } from '../../src/db/migrate.js';
import { coreMigrations } from '../../src/db/migrations/core.migrations.js';
import { AppError } from '../../src/shared/app-error.js';
import { openNotesDatabase, type NotesDatabase, type NotesTables } from './notes-database.js';
import type { TestEngine } from './test-database.js';

/** A row of the `notes` table, and the payload of the note commands. */
export type Note = NotesTables['notes'];

/** Tenants and a user: UUIDs, as PostgreSQL's columns want. */
export const T1 = '00000000-0000-4000-8000-000000000001';
export const T2 = '00000000-0000-4000-8000-000000000002';
export const U1 = '00000000-0000-4000-8000-0000000000a1';

/** {@link openNotesDatabase} with the core tables too: a database the dispatcher can run commands on. */
export async function openCommandDatabase(engine: TestEngine = 'sqlite'): Promise<NotesDatabase> {
  const notes = await openNotesDatabase(engine);
  await migrateOwner(notes.db, 'core', coreMigrations);
  return notes;
}

/**
 * Two commands on the notes, and what they did, in order: `calls` has `one:<id>` for a handler's
 * call and `many:<ids>` for a handleMany's; `contexts` every item's context.
 * - `addNote` inserts a note (201), with a bulk form; a note id taken is its `ERR_TEST_NOTE_TAKEN` (409).
 * - `setNote` changes a note's title (200), without one.
 */
export function noteCommands() {
  const calls: string[] = [];
  const contexts: CommandContext[] = [];
  const addNote = defineCommand<Note, Note, NotesTables>({
    name: 'test.addNote',
    version: 1,
    async handler(tx, payload, ctx) {
      calls.push(`one:${payload.id}`);
      contexts.push(ctx);
      await tx.insertInto('notes').values(payload).execute();
      return { status: 201, body: payload, entity: 'note', entityId: payload.id };
    },
    async handleMany(tx, items) {
      calls.push(`many:${items.map((i) => i.payload.id).join(',')}`);
      contexts.push(...items.map((i) => i.ctx));
      await tx
        .insertInto('notes')
        .values(items.map((i) => i.payload))
        .execute();
      return items.map((i) => ({ status: 201 as const, body: i.payload, entity: 'note', entityId: i.payload.id }));
    },
    conflicts: [{ table: 'notes', columns: ['id'], error: (p) => new AppError('ERR_TEST_NOTE_TAKEN', 409, `note ${p.id} exists`) }],
  });
  const setNote = defineCommand<Note, Note, NotesTables>({
    name: 'test.setNote',
    version: 1,
    async handler(tx, payload, ctx) {
      calls.push(`one:${payload.id}`);
      contexts.push(ctx);
      await tx.updateTable('notes').set({ title: payload.title }).where('id', '=', payload.id).execute();
      return { status: 200, body: payload, entity: 'note', entityId: payload.id };
    },
  });
  return { calls, contexts, addNote, setNote };
}
