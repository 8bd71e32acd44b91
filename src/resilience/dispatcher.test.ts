import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../db/database.js';
import { AppError } from '../shared/app-error.js';
import { Hooks } from '../shared/hooks.js';
import type { Transaction } from 'kysely';
import type { CoreTables } from '../db/core-tables.js';
import { defineCommand, type Command } from './command.js';
import { loseTheCommitAnswer } from '../../test/support/lost-commit.js';
import { noteCommands, openCommandDatabase, T1, T2, U1, type Note } from '../../test/support/note-commands.js';
import type { NotesDatabase, NotesTables } from '../../test/support/notes-database.js';
import type { TestEngine } from '../../test/support/test-database.js';
import { BatchItemError, Dispatcher, WriteOutcomeUnknownError, type BatchItem, type DispatchMeta } from './dispatcher.js';
import { WriteError } from './write-errors.js';

const opened: NotesDatabase[] = [];
afterEach(async () => {
  for (const notes of opened.splice(0)) await notes.close();
});

async function openDb(engine: TestEngine = 'sqlite'): Promise<Database> {
  const notes = await openCommandDatabase(engine);
  opened.push(notes);
  return notes.db;
}

function meta(requestId: string, extra: Partial<DispatchMeta> = {}): DispatchMeta {
  return { tenantId: T1, userId: U1, requestId, fingerprint: `fp-${requestId}`, ...extra };
}

function item(command: BatchItem['command'], payload: Note, key: string, extra: Partial<DispatchMeta> = {}): BatchItem {
  return { command, payload, meta: { ...meta(`r-${key}`, extra), idempotencyKey: key } };
}

async function notes(db: Database): Promise<Note[]> {
  return db.kysely.selectFrom('notes').selectAll().orderBy('id').execute() as Promise<Note[]>;
}

async function keys(db: Database) {
  return db.kysely.selectFrom('idempotency_keys').selectAll().orderBy('tenant_id').orderBy('key').execute();
}

async function audits(db: Database) {
  return db.kysely.selectFrom('audit_log').selectAll().orderBy('request_id').execute();
}

/** Stores `key` as if a request had used it, with the given fingerprint and expiry. */
async function storeKey(db: Database, key: string, fingerprint: string, expiresAt: string, tenantId = T1, createdAt = '2026-01-01T00:00:00.000Z') {
  await db.kysely
    .insertInto('idempotency_keys')
    .values({
      tenant_id: tenantId,
      key,
      fingerprint,
      command: 'test.addNote',
      status_code: 201,
      response: '{"stored":true}',
      created_at: createdAt,
      expires_at: expiresAt,
    })
    .execute();
}

const FUTURE = '2999-01-01T00:00:00.000Z';
const PAST = '2000-01-01T00:00:00.000Z';

/**
 * `command` as a handler that also stores the key `key` of tenant T1 itself, in its own
 * transaction, and takes no item in bulk: what makes the dispatcher's own INSERT of that key meet it.
 */
function writingKey(command: Command<Note, Note, NotesTables>, key: string): Command<Note, Note, NotesTables> {
  return {
    ...command,
    handleMany: undefined,
    async handler(tx, payload, ctx) {
      await (tx as unknown as Transaction<CoreTables>)
        .insertInto('idempotency_keys')
        .values({ tenant_id: T1, key, fingerprint: 'f', command: 'c', status_code: 201, response: '{}', created_at: ctx.now, expires_at: FUTURE })
        .execute();
      return { status: 201, body: payload, entity: 'note', entityId: payload.id };
    },
  };
}

describe('Dispatcher.dispatch', () => {
  it('runs the handler in a transaction with the request context and writes one audit row of the command', async () => {
    const db = await openDb();
    const { addNote, contexts } = noteCommands();
    const hooks = new Hooks();
    const before = Date.now();
    const result = await new Dispatcher(db, { idempotencyTtlHours: 1, hooks }).dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { auditId: 'audit-1' }));
    expect(result).toEqual({ status: 201, body: { id: 'a', title: '1' }, replayed: false });
    expect(await notes(db)).toEqual([{ id: 'a', title: '1' }]);
    expect(await keys(db)).toEqual([]);
    const [ctx] = contexts;
    expect(ctx).toMatchObject({ tenantId: T1, userId: U1, requestId: 'r1' });
    expect(ctx?.hooks).toBe(hooks);
    expect(Date.parse(ctx!.now)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(ctx!.now)).toBeLessThanOrEqual(Date.now());
    expect(await audits(db)).toEqual([
      { id: 'audit-1', tenant_id: T1, user_id: U1, action: 'test.addNote', entity: 'note', entity_id: 'a', request_id: 'r1', created_at: ctx!.now },
    ]);
  });

  it('gives every handler the same hooks, a new set when none are given', async () => {
    const db = await openDb();
    const { addNote, contexts } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1'));
    await dispatcher.dispatch(addNote, { id: 'b', title: '1' }, meta('r2'));
    expect(contexts[0]?.hooks).toBeInstanceOf(Hooks);
    expect(contexts[1]?.hooks).toBe(contexts[0]?.hooks);
    const [first, second] = await audits(db);
    expect(first?.id).toMatch(/\S{8,}/);
    expect(second?.id).not.toBe(first?.id);
  });

  it('stores the key with its fingerprint, command, outcome and an expiry of the TTL', async () => {
    const db = await openDb();
    const { addNote, contexts } = noteCommands();
    await new Dispatcher(db, { idempotencyTtlHours: 2 }).dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    const now = contexts[0]!.now;
    expect(await keys(db)).toEqual([
      {
        tenant_id: T1,
        key: 'k1',
        fingerprint: 'fp-r1',
        command: 'test.addNote',
        status_code: 201,
        response: '{"id":"a","title":"1"}',
        created_at: now,
        expires_at: new Date(Date.parse(now) + 2 * 3_600_000).toISOString(),
      },
    ]);
  });

  it('answers a repeat of a key with the stored first outcome, marked replayed, without running the handler again', async () => {
    const db = await openDb();
    const { addNote, calls } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    const again = await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    expect(again).toEqual({ status: 201, body: { id: 'a', title: '1' }, replayed: true });
    expect(calls).toEqual(['one:a']);
    expect(await audits(db)).toHaveLength(1);
  });

  it('refuses a key reused with another request: 422, nothing written', async () => {
    const db = await openDb();
    const { addNote, calls } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    await expect(dispatcher.dispatch(addNote, { id: 'b', title: '2' }, meta('r2', { idempotencyKey: 'k1' }))).rejects.toMatchObject({
      code: WriteError.IDEMPOTENCY_KEY_REUSED,
      status: 422,
    });
    expect(calls).toEqual(['one:a']);
    expect(await notes(db)).toEqual([{ id: 'a', title: '1' }]);
    expect(await audits(db)).toHaveLength(1);
  });

  it('keeps keys apart by tenant', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    await storeKey(db, 'k1', 'other', FUTURE, T2);
    const result = await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    expect(result.replayed).toBe(false);
    expect((await keys(db)).map((k) => `${k.tenant_id}:${k.fingerprint}`)).toEqual([`${T1}:fp-r1`, `${T2}:other`]);
  });

  it('replaces an expired key, but a replay still answers from it', async () => {
    const db = await openDb();
    const { addNote, calls } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await storeKey(db, 'old', 'fp-r1', PAST);
    const replayed = await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'old' }), { replay: true });
    expect(replayed).toEqual({ status: 201, body: { stored: true }, replayed: true });
    expect(calls).toEqual([]);
    const fresh = await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'old' }));
    expect(fresh).toEqual({ status: 201, body: { id: 'a', title: '1' }, replayed: false });
    expect(calls).toEqual(['one:a']);
    const [stored] = await keys(db);
    expect(stored?.response).toBe('{"id":"a","title":"1"}');
    expect(stored!.expires_at > new Date().toISOString()).toBe(true);
  });

  it('does not remove an unexpired key of another request', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    await storeKey(db, 'k1', 'fp-r1', new Date(Date.now() + 60_000).toISOString());
    const result = await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    expect(result).toEqual({ status: 201, body: { stored: true }, replayed: true });
    expect(await notes(db)).toEqual([]);
  });

  it("turns a unique violation a command declared into the command's error, and leaves others as they are", async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1'));
    await expect(dispatcher.dispatch(addNote, { id: 'a', title: '2' }, meta('r2', { idempotencyKey: 'k2' }))).rejects.toMatchObject({
      code: 'ERR_TEST_NOTE_TAKEN',
      message: 'note a exists',
    });
    const undeclared = { ...addNote, conflicts: [{ table: 'notes', columns: ['id', 'title'], error: () => new Error('not this one') as AppError }] };
    const other = await dispatcher.dispatch(undeclared, { id: 'a', title: '3' }, meta('r3')).catch((error: unknown) => error);
    expect(other).not.toBeInstanceOf(AppError);
    expect(String(other)).toMatch(/UNIQUE constraint failed: notes\.id/);
    const elsewhere = { ...addNote, conflicts: [{ table: 'other', columns: ['id'], error: () => new AppError('ERR_NOT_THIS', 409, 'not this one') }] };
    expect(String(await dispatcher.dispatch(elsewhere, { id: 'a', title: '4' }, meta('r4')).catch((e: unknown) => e))).toMatch(/UNIQUE constraint failed/);
    const undeclaring = { ...addNote, conflicts: undefined };
    expect(String(await dispatcher.dispatch(undeclaring, { id: 'a', title: '5' }, meta('r5')).catch((e: unknown) => e))).toMatch(/UNIQUE constraint failed/);
    // A key's own violation with no key stored to answer from is the error it was.
    const selfClaiming = writingKey(addNote, 'k6');
    const claimed = await dispatcher.dispatch(selfClaiming, { id: 'f', title: '6' }, meta('r6', { idempotencyKey: 'k6' })).catch((e: unknown) => e);
    expect(String(claimed)).toMatch(/UNIQUE constraint failed: idempotency_keys/);
    expect(await keys(db)).toEqual([]);
    expect(await audits(db)).toHaveLength(1);
  });

  it('does not retry a write whose COMMIT answer was lost: 503 ERR_WRITE_OUTCOME_UNKNOWN with the outcome it was committing, applied once', async () => {
    const db = await openDb();
    const { addNote, calls } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    loseTheCommitAnswer(db);
    const error = await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(error).toMatchObject({ code: WriteError.WRITE_OUTCOME_UNKNOWN, status: 503, intended: { status: 201, body: { id: 'a', title: '1' } } });
    expect((error as Error).message).toMatch(/k1|Idempotency-Key/);
    expect(calls).toEqual(['one:a']);
    expect(await audits(db)).toHaveLength(1);

    loseTheCommitAnswer(db);
    const withoutKey = await dispatcher.dispatch(addNote, { id: 'b', title: '1' }, meta('r2')).catch((e: unknown) => e);
    expect(withoutKey).toBeInstanceOf(WriteOutcomeUnknownError);
    expect(error).toMatchObject({ retryAfterSeconds: 5, message: expect.stringContaining('Retrying with the same Idempotency-Key is safe') });
    expect(withoutKey).toMatchObject({ retryAfterSeconds: 5, message: expect.stringContaining('send an Idempotency-Key with writes') });
  });

  it('retries a transient error raised before the COMMIT, as many times as the policy allows', async () => {
    const db = await openDb();
    let runs = 0;
    const flaky = (failures: number) =>
      defineCommand<Record<string, never>, { ok: true }>({
        name: 'test.flaky',
        version: 1,
        async handler() {
          runs++;
          if (runs <= failures) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
          return { status: 201, body: { ok: true }, entity: 'test', entityId: 'x' };
        },
      });
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    const result = await dispatcher.dispatch(flaky(2), {}, meta('r2'));
    expect(result).toMatchObject({ status: 201, replayed: false });
    expect(runs).toBe(3);
    expect(await audits(db)).toHaveLength(1);

    runs = 0;
    await expect(dispatcher.dispatch(flaky(1), {}, meta('r3'), { replay: true })).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(runs).toBe(1);

    // SQLite waits longer than PostgreSQL's three retries: another process's lock passes.
    runs = 0;
    await dispatcher.dispatch(flaky(5), {}, meta('r4'));
    expect(runs).toBe(6);
  });

  it('does not take a transient error after the work for an unknown outcome when the work never reached its COMMIT', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const failing = { ...addNote, handler: () => Promise.reject(busy) };
    await expect(new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatch(failing, { id: 'a', title: '1' }, meta('r1'), { replay: true })).rejects.toBe(busy);
  });
});

describe('Dispatcher.dispatch on PostgreSQL', () => {
  it('retries a transient error three times, then gives up with it', async () => {
    const db = await openDb('postgres');
    let runs = 0;
    const broken = defineCommand<Record<string, never>, never>({
      name: 'test.broken',
      version: 1,
      async handler() {
        runs++;
        throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      },
    });
    await expect(new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatch(broken, {}, meta('r1'))).rejects.toMatchObject({ code: '57P01' });
    expect(runs).toBe(4);
  });

  it('answers a request whose key another one committed while both ran with that outcome, or 422 for another request', async () => {
    const db = await openDb('postgres');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const slow = defineCommand<Note, Note>({
      name: 'test.slow',
      version: 1,
      async handler(_tx, payload) {
        runs++;
        await gate;
        return { status: 201, body: payload, entity: 'note', entityId: payload.id };
      },
    });
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    const first = dispatcher.dispatch(slow, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    await vi.waitFor(() => expect(runs).toBe(1));
    const same = dispatcher.dispatch(slow, { id: 'a', title: '1' }, meta('r1', { idempotencyKey: 'k1' }));
    const other = dispatcher.dispatch(slow, { id: 'b', title: '2' }, meta('r2', { idempotencyKey: 'k1' })).catch((error: unknown) => error);
    // All three found the key free and ran; the first to commit keeps it.
    await vi.waitFor(() => expect(runs).toBe(3));
    release();
    expect(await first).toEqual({ status: 201, body: { id: 'a', title: '1' }, replayed: false });
    expect(await same).toEqual({ status: 201, body: { id: 'a', title: '1' }, replayed: true });
    expect(await other).toMatchObject({ code: WriteError.IDEMPOTENCY_KEY_REUSED, status: 422 });
    expect(await keys(db)).toHaveLength(1);
    expect(await audits(db)).toHaveLength(1);
  });
});

describe('Dispatcher.dispatchBatch', () => {
  it('hands consecutive items of a bulk command to its handleMany, the others to their handler, in order, in one transaction', async () => {
    const db = await openDb();
    await db.kysely.insertInto('notes').values({ id: 'z', title: '0' }).execute();
    const { addNote, setNote, calls, contexts } = noteCommands();
    const hooks = new Hooks();
    const outcomes = await new Dispatcher(db, { idempotencyTtlHours: 1, hooks }).dispatchBatch([
      item(addNote, { id: 'a', title: '1' }, 'k1'),
      item(addNote, { id: 'b', title: '2' }, 'k2', { tenantId: T2, userId: null }),
      item(setNote, { id: 'z', title: '9' }, 'k3'),
      item(addNote, { id: 'c', title: '3' }, 'k4'),
    ]);
    expect(calls).toEqual(['many:a,b', 'one:z', 'many:c']);
    expect(outcomes).toEqual([
      { result: { status: 201, body: { id: 'a', title: '1' }, replayed: false } },
      { result: { status: 201, body: { id: 'b', title: '2' }, replayed: false } },
      { result: { status: 200, body: { id: 'z', title: '9' }, replayed: false } },
      { result: { status: 201, body: { id: 'c', title: '3' }, replayed: false } },
    ]);
    expect(contexts.map((c) => `${c.tenantId}/${c.userId}/${c.requestId}`)).toEqual([
      `${T1}/${U1}/r-k1`,
      `${T2}/null/r-k2`,
      `${T1}/${U1}/r-k3`,
      `${T1}/${U1}/r-k4`,
    ]);
    expect(contexts.every((c) => c.hooks === hooks && c.now === contexts[0]?.now)).toBe(true);
    const now = contexts[0]!.now;
    expect(await notes(db)).toEqual([
      { id: 'a', title: '1' },
      { id: 'b', title: '2' },
      { id: 'c', title: '3' },
      { id: 'z', title: '9' },
    ]);
    expect(await keys(db)).toEqual([
      {
        tenant_id: T1,
        key: 'k1',
        fingerprint: 'fp-r-k1',
        command: 'test.addNote',
        status_code: 201,
        response: '{"id":"a","title":"1"}',
        created_at: now,
        expires_at: new Date(Date.parse(now) + 3_600_000).toISOString(),
      },
      {
        tenant_id: T1,
        key: 'k3',
        fingerprint: 'fp-r-k3',
        command: 'test.setNote',
        status_code: 200,
        response: '{"id":"z","title":"9"}',
        created_at: now,
        expires_at: new Date(Date.parse(now) + 3_600_000).toISOString(),
      },
      {
        tenant_id: T1,
        key: 'k4',
        fingerprint: 'fp-r-k4',
        command: 'test.addNote',
        status_code: 201,
        response: '{"id":"c","title":"3"}',
        created_at: now,
        expires_at: new Date(Date.parse(now) + 3_600_000).toISOString(),
      },
      {
        tenant_id: T2,
        key: 'k2',
        fingerprint: 'fp-r-k2',
        command: 'test.addNote',
        status_code: 201,
        response: '{"id":"b","title":"2"}',
        created_at: now,
        expires_at: new Date(Date.parse(now) + 3_600_000).toISOString(),
      },
    ]);
    const rows = await audits(db);
    expect(rows.map(({ id: _id, ...row }) => row)).toEqual([
      { tenant_id: T1, user_id: U1, action: 'test.addNote', entity: 'note', entity_id: 'a', request_id: 'r-k1', created_at: now },
      { tenant_id: T2, user_id: null, action: 'test.addNote', entity: 'note', entity_id: 'b', request_id: 'r-k2', created_at: now },
      { tenant_id: T1, user_id: U1, action: 'test.setNote', entity: 'note', entity_id: 'z', request_id: 'r-k3', created_at: now },
      { tenant_id: T1, user_id: U1, action: 'test.addNote', entity: 'note', entity_id: 'c', request_id: 'r-k4', created_at: now },
    ]);
    expect(new Set(rows.map((r) => r.id)).size).toBe(4);
  });

  it('uses the audit ids the items chose', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch([item(addNote, { id: 'a', title: '1' }, 'k1', { auditId: 'audit-a' })]);
    expect((await audits(db)).map((r) => r.id)).toEqual(['audit-a']);
  });

  it('answers a key repeated in the batch from its first item: replayed for the same request, 422 for another', async () => {
    const db = await openDb();
    const { addNote, calls } = noteCommands();
    const outcomes = await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch([
      item(addNote, { id: 'a', title: '1' }, 'k1'),
      item(addNote, { id: 'a', title: '1' }, 'k1'),
      { ...item(addNote, { id: 'b', title: '2' }, 'k1'), meta: { ...item(addNote, { id: 'b', title: '2' }, 'k1').meta, fingerprint: 'another' } },
      item(addNote, { id: 'c', title: '3' }, 'k1', { tenantId: T2 }),
    ]);
    expect(calls).toEqual(['many:a', 'many:c']);
    expect(outcomes[0]).toEqual({ result: { status: 201, body: { id: 'a', title: '1' }, replayed: false } });
    expect(outcomes[1]).toEqual({ result: { status: 201, body: { id: 'a', title: '1' }, replayed: true } });
    expect(outcomes[2]).toMatchObject({ error: { code: WriteError.IDEMPOTENCY_KEY_REUSED, status: 422 } });
    expect(outcomes[3]).toEqual({ result: { status: 201, body: { id: 'c', title: '3' }, replayed: false } });
    expect(await notes(db)).toEqual([
      { id: 'a', title: '1' },
      { id: 'c', title: '3' },
    ]);
    expect(await keys(db)).toHaveLength(2);
    expect(await audits(db)).toHaveLength(2);
  });

  it('applies the batch again with its keys looked up when one is stored already, even expired: those items answer from it', async () => {
    const db = await openDb();
    const { addNote, setNote, calls } = noteCommands();
    await storeKey(db, 'k2', 'fp-r-k2', PAST);
    await storeKey(db, 'k3', 'another', FUTURE);
    let meanwhile = 0;
    const outcomes = await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch(
      [
        item(addNote, { id: 'a', title: '1' }, 'k1'),
        item(addNote, { id: 'b', title: '2' }, 'k2'),
        item(setNote, { id: 'c', title: '3' }, 'k3'),
        item(addNote, { id: 'd', title: '4' }, 'k4'),
      ],
      { meanwhile: () => meanwhile++ },
    );
    // The second time, the items answered from their keys do not split the run of the others.
    expect(calls).toEqual(['many:a,b', 'one:c', 'many:d', 'many:a,d']);
    expect(meanwhile).toBe(1);
    expect(outcomes[0]).toEqual({ result: { status: 201, body: { id: 'a', title: '1' }, replayed: false } });
    expect(outcomes[1]).toEqual({ result: { status: 201, body: { stored: true }, replayed: true } });
    expect(outcomes[2]).toMatchObject({ error: { code: WriteError.IDEMPOTENCY_KEY_REUSED } });
    expect(outcomes[3]).toEqual({ result: { status: 201, body: { id: 'd', title: '4' }, replayed: false } });
    expect((await notes(db)).map((n) => n.id)).toEqual(['a', 'd']);
    expect((await keys(db)).map((k) => `${k.key}:${k.fingerprint}`)).toEqual(['k1:fp-r-k1', 'k2:fp-r-k2', 'k3:another', 'k4:fp-r-k4']);
    expect((await audits(db)).map((r) => r.entity_id)).toEqual(['a', 'd']);
  });

  it('applies the items one at a time when a bulk handler refuses them, and names the item at fault: nothing saved', async () => {
    const db = await openDb();
    await db.kysely.insertInto('notes').values({ id: 'b', title: '0' }).execute();
    const { addNote, calls } = noteCommands();
    let meanwhile = 0;
    const error = await new Dispatcher(db, { idempotencyTtlHours: 1 })
      .dispatchBatch(
        [item(addNote, { id: 'a', title: '1' }, 'k1'), item(addNote, { id: 'b', title: '2' }, 'k2'), item(addNote, { id: 'c', title: '3' }, 'k3')],
        {
          meanwhile: () => meanwhile++,
        },
      )
      .catch((e: unknown) => e);
    expect(calls).toEqual(['many:a,b,c', 'one:a', 'one:b']);
    expect(error).toBeInstanceOf(BatchItemError);
    expect(error).toMatchObject({ index: 1, name: 'BatchItemError' });
    expect(String((error as BatchItemError).error)).toMatch(/UNIQUE constraint failed: notes\.id/);
    expect((error as Error).message).toMatch(/^batch item 1 failed: .*UNIQUE constraint failed/);
    expect(meanwhile).toBe(0);
    expect(await notes(db)).toEqual([{ id: 'b', title: '0' }]);
    expect(await keys(db)).toEqual([]);
    expect(await audits(db)).toEqual([]);
  });

  it('applies the items one at a time after a bulk refusal and commits them when each handler takes its item', async () => {
    const db = await openDb();
    const { addNote, setNote, calls } = noteCommands();
    const picky = { ...addNote, handleMany: () => Promise.reject(new Error('one of these breaks a rule')) };
    const outcomes = await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch([
      item(picky, { id: 'a', title: '1' }, 'k1'),
      item(picky, { id: 'b', title: '2' }, 'k2'),
      item(setNote, { id: 'a', title: '3' }, 'k3'),
    ]);
    expect(calls).toEqual(['one:a', 'one:b', 'one:a']);
    expect(outcomes.map((o) => ('result' in o ? o.result.status : o.error))).toEqual([201, 201, 200]);
    expect(await keys(db)).toHaveLength(3);
  });

  it("names a failing item's index and error when no bulk handler is involved", async () => {
    const db = await openDb();
    const { setNote, addNote } = noteCommands();
    const failure = new Error('not today');
    let refusals = 0;
    const refusing = {
      ...setNote,
      handler: () => {
        refusals++;
        return Promise.reject(failure);
      },
    };
    const error = await new Dispatcher(db, { idempotencyTtlHours: 1 })
      .dispatchBatch([
        item(addNote, { id: 'a', title: '1' }, 'k1'),
        item(setNote, { id: 'a', title: '5' }, 'k2'),
        item(refusing, { id: 'a', title: '6' }, 'k3'),
      ])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ index: 2, error: failure, cause: failure, message: 'batch item 2 failed: not today' });
    // Failed once, not again another way: there is no other way for an item's own handler.
    expect(refusals).toBe(1);
    expect(await notes(db)).toEqual([]);
    expect(await keys(db)).toEqual([]);
  });

  it('throws on a transient error of a bulk handler instead of applying the items one at a time', async () => {
    const db = await openDb();
    const { addNote, calls } = noteCommands();
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const locked = { ...addNote, handleMany: () => Promise.reject(busy) };
    await expect(new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch([item(locked, { id: 'a', title: '1' }, 'k1')])).rejects.toBe(busy);
    expect(calls).toEqual([]);
  });

  it('fails a batch whose bulk handler returns another count of outcomes than items', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    const short = { ...addNote, handleMany: async () => [] };
    await expect(new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch([item(short, { id: 'a', title: '1' }, 'k1')])).rejects.toThrow(
      'test.addNote.handleMany returned 0 outcomes for 1 items',
    );
    expect(await keys(db)).toEqual([]);
  });

  it('keeps the runs of two bulk commands apart, and a key repeated after its run was applied does not split the next run', async () => {
    const db = await openDb();
    const { addNote, setNote, calls } = noteCommands();
    const addOther = { ...addNote, name: 'test.addOther' };
    const outcomes = await new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch([
      item(addNote, { id: 'a', title: '1' }, 'k1'),
      item(addOther, { id: 'b', title: '2' }, 'k2'),
      item(setNote, { id: 'a', title: '3' }, 'k3'),
      item(addNote, { id: 'c', title: '4' }, 'k4'),
      item(addNote, { id: 'a', title: '1' }, 'k1'),
      item(addNote, { id: 'd', title: '5' }, 'k5'),
    ]);
    expect(calls).toEqual(['many:a', 'many:b', 'one:a', 'many:c,d']);
    expect(outcomes[4]).toEqual({ result: { status: 201, body: { id: 'a', title: '1' }, replayed: true } });
    expect((await audits(db)).map((r) => r.action)).toEqual(['test.addNote', 'test.addOther', 'test.setNote', 'test.addNote', 'test.addNote']);
  });

  it('fails the batch, saving nothing, when its audit rows cannot be inserted, even with work to do meanwhile', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await dispatcher.dispatch(addNote, { id: 'x', title: '0' }, meta('r0', { auditId: 'taken' }));
    let meanwhile = 0;
    const error = await dispatcher
      .dispatchBatch([item(addNote, { id: 'a', title: '1' }, 'k1'), item(addNote, { id: 'b', title: '2' }, 'k2', { auditId: 'taken' })], {
        meanwhile: () => meanwhile++,
      })
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/UNIQUE constraint failed: audit_log\.id/);
    expect(meanwhile).toBe(1);
    expect((await notes(db)).map((n) => n.id)).toEqual(['x']);
    expect(await keys(db)).toEqual([]);
  });

  it('fails a batch whose keys are taken again after being looked up', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    // A handler that writes the next item's key itself: the keys' INSERT finds it each time.
    const squatting = writingKey(addNote, 'k2');
    await expect(
      new Dispatcher(db, { idempotencyTtlHours: 1 }).dispatchBatch([
        item(squatting, { id: 'a', title: '1' }, 'k1'),
        item(addNote, { id: 'b', title: '2' }, 'k2'),
      ]),
    ).rejects.toThrow('an idempotency key of the batch is already stored');
    expect(await keys(db)).toEqual([]);
  });

  it('calls meanwhile once, after the last INSERT is sent, and not at all for a batch that writes nothing', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    const seen: number[] = [];
    await dispatcher.dispatchBatch([item(addNote, { id: 'a', title: '1' }, 'k1'), item(addNote, { id: 'b', title: '2' }, 'k2')], {
      meanwhile: () => seen.push(1),
    });
    expect(seen).toEqual([1]);
    const outcomes = await dispatcher.dispatchBatch([item(addNote, { id: 'a', title: '1' }, 'k1')], { meanwhile: () => seen.push(2) });
    expect(outcomes).toEqual([{ result: { status: 201, body: { id: 'a', title: '1' }, replayed: true } }]);
    expect(seen).toEqual([1]);
  });
});

describe('Dispatcher.committed and pruneKeys', () => {
  it('tells a committed write by its audit row, in its tenant only', async () => {
    const db = await openDb();
    const { addNote } = noteCommands();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await dispatcher.dispatch(addNote, { id: 'a', title: '1' }, meta('r1', { auditId: 'audit-1' }));
    expect(await dispatcher.committed(T1, 'audit-1')).toBe(true);
    expect(await dispatcher.committed(T2, 'audit-1')).toBe(false);
    expect(await dispatcher.committed(T1, 'audit-2')).toBe(false);
  });

  it('deletes expired keys only, keeping those created from keepFrom on, and counts them', async () => {
    const db = await openDb();
    const dispatcher = new Dispatcher(db, { idempotencyTtlHours: 1 });
    await storeKey(db, 'old', 'f', '2026-01-02T00:00:00.000Z', T1, '2026-01-01T00:00:00.000Z');
    await storeKey(db, 'kept', 'f', '2026-01-02T00:00:00.000Z', T1, '2026-01-01T12:00:00.000Z');
    await storeKey(db, 'edge', 'f', '2026-01-03T00:00:00.000Z', T1, '2026-01-01T06:00:00.000Z');
    await storeKey(db, 'live', 'f', '2026-01-04T00:00:00.000Z');
    expect(await dispatcher.pruneKeys('2026-01-03T00:00:00.000Z', '2026-01-01T12:00:00.000Z')).toBe(2);
    expect((await keys(db)).map((k) => k.key)).toEqual(['kept', 'live']);
    expect(await dispatcher.pruneKeys('2026-01-03T00:00:00.000Z', null)).toBe(1);
    expect((await keys(db)).map((k) => k.key)).toEqual(['live']);
  });
});
