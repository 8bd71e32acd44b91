import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../shared/app-error.js';
import { noteCommands, openCommandDatabase, T1, U1, type Note } from '../../test/support/note-commands.js';
import type { NotesDatabase } from '../../test/support/notes-database.js';
import { DatabaseCircuit } from './circuit.js';
import type { AuthorCheck, Command } from './command.js';
import { Dispatcher } from './dispatcher.js';
import { loseTheCommitAnswer } from '../../test/support/lost-commit.js';
import type { JournalAppend } from './journal/entry.js';
import { Journal } from './journal/journal.js';
import { REPLAY_LEASE, REPLAY_LEASE_TTL_MS, REPLAY_MAX_UNFINISHED_ATTEMPTS, Replayer } from './replayer.js';
import { reusedKey, WriteError } from './write-errors.js';
import { recordingLog } from '../../test/support/recording-log.js';

const closing: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

/** Everyone may make every write. */
const everyone: AuthorCheck = async () => () => undefined;

/** A replayer of a new journal into a new SQLite database, with the note commands (and `extra`) loaded. */
async function setUp(options: { extra?: Array<Command<unknown, unknown>>; authors?: AuthorCheck } = {}) {
  const notes: NotesDatabase = await openCommandDatabase();
  closing.push(() => notes.close());
  const journal = new Journal(mkdtempSync(path.join(os.tmpdir(), 'robusto-replayer-')), { maxMegabytes: 64, tenantMaxMegabytes: 16 });
  closing.push(() => journal.close());
  const { log, lines } = recordingLog();
  const circuit = new DatabaseCircuit(notes.db, log);
  closing.push(() => circuit.stop());
  const dispatcher = new Dispatcher(notes.db, { idempotencyTtlHours: 1 });
  const commands = noteCommands();
  const loaded = new Map<string, Command<unknown, unknown>>(
    [commands.addNote, commands.setNote, ...(options.extra ?? [])].map((c) => [c.name, c as Command<unknown, unknown>]),
  );
  const authors = vi.fn(options.authors ?? everyone);
  const replayer = new Replayer(journal, dispatcher, circuit, (name) => loaded.get(name), authors, log);
  closing.push(() => replayer.stop());
  return { db: notes.db, journal, circuit, dispatcher, replayer, lines, authors, ...commands, loaded };
}

let nextKey = 0;
function write(command: string, payload: unknown, extra: Partial<JournalAppend> = {}): JournalAppend {
  nextKey++;
  return {
    tenantId: T1,
    userId: U1,
    idempotencyKey: `auto:${nextKey}`,
    fingerprint: `fp-${nextKey}`,
    command,
    commandVersion: 1,
    payload,
    requestId: `r${nextKey}`,
    ...extra,
  };
}

function note(id: string, title = id): Note {
  return { id, title };
}

describe('Replayer', () => {
  it('applies pending writes in order, in batches, marks each applied with its answer, and reports the round', async () => {
    const { journal, replayer, calls, db, lines } = await setUp();
    const rounds: unknown[] = [];
    replayer.onRound((round) => rounds.push(round));
    const receipts = [];
    for (const id of ['a', 'b', 'c']) receipts.push(await journal.append(write('test.addNote', note(id))));
    expect(await replayer.drain()).toBe('drained');
    expect(calls).toEqual(['many:a,b,c']);
    expect(await db.kysely.selectFrom('notes').select('id').orderBy('id').execute()).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect(journal.byReceipt(T1, receipts[1] as string)).toMatchObject({
      status: 'applied',
      statusCode: 201,
      response: note('b'),
      attemptsStarted: 1,
      attemptsFinished: 1,
    });
    expect(journal.stats().pending).toBe(0);
    expect(journal.hasPending()).toBe(false);
    const round = replayer.lastRound();
    expect(round).toMatchObject({ applied: 3, outcome: 'drained' });
    expect(Date.parse(round!.at)).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - Date.parse(round!.at)).toBeLessThan(60_000);
    expect(rounds).toEqual([round]);
    expect(lines).toEqual([{ level: 'info', msg: 'journal replayed', fields: { applied: 3, outcome: 'drained', pending: 0 } }]);
  });

  it('logs nothing for a round that applied nothing', async () => {
    const { replayer, lines } = await setUp();
    expect(await replayer.drain()).toBe('drained');
    expect(replayer.lastRound()).toMatchObject({ applied: 0, outcome: 'drained' });
    expect(lines).toEqual([]);
  });

  it('runs one round at a time: a second call waits for the one running and answers it', async () => {
    const { journal, replayer, calls } = await setUp();
    await journal.append(write('test.addNote', note('a')));
    const [first, second] = await Promise.all([replayer.round(), replayer.round()]);
    expect(second).toBe(first);
    expect(calls).toEqual(['one:a']);
    // A later call is a round of its own.
    const third = await replayer.round();
    expect(third).not.toBe(first);
  });

  it('marks a write whose key is stored already a duplicate, answering what it first answered', async () => {
    const { journal, replayer, dispatcher, addNote, calls } = await setUp();
    const entry = write('test.addNote', note('a'));
    const receipt = await journal.append(entry);
    await journal.append(write('test.addNote', note('b')));
    await dispatcher.dispatch(addNote, note('a'), { ...entry }, { replay: true });
    calls.length = 0;
    expect(await replayer.drain()).toBe('drained');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'duplicate', statusCode: 201, response: note('a') });
    expect(replayer.lastRound()).toMatchObject({ applied: 2 });
  });

  it('parks a write that breaks a rule as dead with its problem, applies the ones around it, in order', async () => {
    const { journal, replayer, db, calls, lines } = await setUp();
    await db.kysely.insertInto('notes').values(note('taken', 'first')).execute();
    const receipts = [];
    for (const id of ['a', 'b', 'taken', 'c']) receipts.push(await journal.append(write('test.addNote', note(id, 'second'))));
    expect(await replayer.drain()).toBe('drained');
    // The batch fails on its third item: the two before it go again as a batch; then the rest
    // fails on its first, which goes alone (parked), then the last.
    expect(calls).toEqual(['many:a,b,taken,c', 'one:a', 'one:b', 'one:taken', 'many:a,b', 'many:taken,c', 'one:taken', 'one:taken', 'one:c']);
    expect(journal.byReceipt(T1, receipts[2] as string)).toMatchObject({
      status: 'dead',
      statusCode: 409,
      response: { status: 409, code: 'ERR_TEST_NOTE_TAKEN', detail: 'note taken exists' },
      lastError: 'note taken exists',
      lastErrorCode: 'ERR_TEST_NOTE_TAKEN',
    });
    for (const i of [0, 1, 3]) expect(journal.byReceipt(T1, receipts[i] as string)).toMatchObject({ status: 'applied' });
    expect((await db.kysely.selectFrom('notes').selectAll().orderBy('id').execute()).map((n) => `${n.id}:${n.title}`)).toEqual([
      'a:second',
      'b:second',
      'c:second',
      'taken:first',
    ]);
    expect(replayer.lastRound()).toMatchObject({ applied: 4, outcome: 'drained' });
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        msg: 'journal entry parked as dead: it cannot be applied',
        fields: { receipt: receipts[2], command: 'test.addNote', code: 'ERR_TEST_NOTE_TAKEN', tenantId: T1 },
      },
    ]);
  });

  it('parks the first write of a failing batch alone and goes on with the rest', async () => {
    const { journal, replayer, db, calls } = await setUp();
    await db.kysely.insertInto('notes').values(note('a', 'first')).execute();
    const receipts = [];
    for (const id of ['a', 'b', 'c']) receipts.push(await journal.append(write('test.addNote', note(id, 'second'))));
    expect(await replayer.drain()).toBe('drained');
    expect(calls).toEqual(['many:a,b,c', 'one:a', 'one:a', 'many:b,c']);
    expect(journal.byReceipt(T1, receipts[0] as string)).toMatchObject({ status: 'dead', statusCode: 409 });
    expect(journal.byReceipt(T1, receipts[2] as string)).toMatchObject({ status: 'applied' });
  });

  it('parks a write failing with an error that is not a problem as ERR_REPLAY_FAILED, 500, keeping its code', async () => {
    const broken = {
      name: 'test.broken',
      version: 1,
      handler: () => Promise.reject(Object.assign(new Error('a bug in the handler'), { code: 'ERR_SOMETHING' })),
    } as Command<unknown, unknown>;
    const { journal, replayer } = await setUp({ extra: [broken] });
    const receipt = await journal.append(write('test.broken', {}));
    expect(await replayer.drain()).toBe('drained');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({
      status: 'dead',
      statusCode: 500,
      response: { status: 500, code: WriteError.REPLAY_FAILED, detail: 'a bug in the handler' },
      lastError: 'a bug in the handler',
      lastErrorCode: 'ERR_SOMETHING',
    });
    const plain = await journal.append(write('test.broken', {}));
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a handler that fails with something other than an Error
    (broken as { handler: Command['handler'] }).handler = () => Promise.reject('not even an Error');
    expect(await replayer.drain()).toBe('drained');
    expect(journal.byReceipt(T1, plain)).toMatchObject({ status: 'dead', lastError: 'not even an Error', lastErrorCode: WriteError.REPLAY_FAILED });
  });

  it("keeps a problem's field errors, extensions and catalogue text in the dead letter", async () => {
    const refusing = {
      name: 'test.refusing',
      version: 1,
      handler: () =>
        Promise.reject(new AppError('ERR_TEST_REFUSED', 422, 'refused', { errors: [{ field: 'name', message: 'too long' }], extensions: { limit: 5 } })),
    } as Command<unknown, unknown>;
    const { journal, replayer } = await setUp({ extra: [refusing] });
    const receipt = await journal.append(write('test.refusing', {}));
    await replayer.drain();
    expect(journal.byReceipt(T1, receipt)?.response).toEqual({
      status: 422,
      code: 'ERR_TEST_REFUSED',
      detail: 'refused',
      errors: [{ field: 'name', message: 'too long' }],
      limit: 5,
    });
    // A problem written from the catalogues keeps its text's key, for the reader's language.
    (refusing as { handler: Command['handler'] }).handler = () => Promise.reject(reusedKey('k-1'));
    const localized = await journal.append(write('test.refusing', {}));
    await replayer.drain();
    expect(journal.byReceipt(T1, localized)?.response).toMatchObject({
      code: WriteError.IDEMPOTENCY_KEY_REUSED,
      detailText: { key: 'writes.keyReused', params: { key: 'k-1' } },
    });
  });

  it('keeps a write pending, with its error, while the database refuses it for a while, and stops the round there', async () => {
    let busy = true;
    const flaky = {
      name: 'test.flaky',
      version: 1,
      handler: async () => {
        if (busy) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        return { status: 201, body: { ok: true }, entity: 'test', entityId: 'x' };
      },
    } as Command<unknown, unknown>;
    const { journal, replayer, calls } = await setUp({ extra: [flaky] });
    const receipt = await journal.append(write('test.flaky', {}));
    await journal.append(write('test.addNote', note('after')));
    expect(await replayer.drain()).toBe('blocked');
    expect(calls).toEqual([]);
    expect(journal.byReceipt(T1, receipt)).toMatchObject({
      status: 'pending',
      lastError: 'database is locked',
      lastErrorCode: 'SQLITE_BUSY',
      attemptsStarted: 1,
      attemptsFinished: 1,
    });
    expect(replayer.lastRound()).toMatchObject({ applied: 0, outcome: 'blocked' });
    busy = false;
    expect(await replayer.drain()).toBe('drained');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'applied', statusCode: 201 });
    expect(calls).toEqual(['many:after']);
  });

  it('keeps a batch pending when the database refuses it, each entry with the error', async () => {
    const { journal, replayer, addNote } = await setUp();
    const locked = addNote.handleMany!.bind(addNote);
    let busy = true;
    addNote.handleMany = async (tx, items) => {
      if (busy) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return locked(tx, items);
    };
    const receipts = [await journal.append(write('test.addNote', note('a'))), await journal.append(write('test.addNote', note('b')))];
    expect(await replayer.drain()).toBe('blocked');
    for (const receipt of receipts)
      expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'pending', lastErrorCode: 'SQLITE_BUSY', attemptsFinished: 1 });
    busy = false;
    expect(await replayer.drain()).toBe('drained');
    for (const receipt of receipts) expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'applied' });
  });

  it('waits, keeping order, for a write whose module is not loaded', async () => {
    const { journal, replayer, lines, calls } = await setUp();
    const receipt = await journal.append(write('test.unknown', {}));
    await journal.append(write('test.addNote', note('a')));
    expect(await replayer.drain()).toBe('blocked');
    expect(calls).toEqual([]);
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'pending', attemptsStarted: 0 });
    expect(lines).toContainEqual({ level: 'warn', msg: 'journal entry waits: its module is not loaded', fields: { receipt, command: 'test.unknown' } });
  });

  it(`parks a write whose attempts stopped the process ${REPLAY_MAX_UNFINISHED_ATTEMPTS} times, without running it again`, async () => {
    const { journal, replayer, calls, lines } = await setUp();
    // Its module is gone too: parked all the same, and the round goes on.
    const receipt = await journal.append(write('test.gone', note('a')));
    const seq = journal.byReceipt(T1, receipt)!.seq;
    // One attempt that ended (a transient error), then three cut off.
    journal.startAttempt(seq);
    journal.finishAttempt(seq, { status: 'pending', error: 'database is locked' });
    for (let i = 0; i < REPLAY_MAX_UNFINISHED_ATTEMPTS; i++) journal.startAttempt(seq);
    // One attempt that ended and one cut off: the entry goes alone, and its next attempt runs.
    const once = await journal.append(write('test.addNote', note('b')));
    const onceSeq = journal.byReceipt(T1, once)!.seq;
    journal.startAttempt(onceSeq);
    journal.finishAttempt(onceSeq, { status: 'pending', error: 'database is locked' });
    journal.startAttempt(onceSeq);
    const next = await journal.append(write('test.addNote', note('c')));
    expect(await replayer.drain()).toBe('drained');
    expect(calls).toEqual(['one:b', 'one:c']);
    expect(journal.byReceipt(T1, receipt)).toMatchObject({
      status: 'dead',
      lastError: '3 attempts started and never finished (the process stopped during each)',
    });
    expect(journal.byReceipt(T1, once)).toMatchObject({ status: 'applied', attemptsStarted: 3, attemptsFinished: 2 });
    expect(journal.byReceipt(T1, next)).toMatchObject({ status: 'applied', attemptsStarted: 1, attemptsFinished: 1 });
    expect(lines).toContainEqual({
      level: 'error',
      msg: 'journal entry parked as dead: it keeps stopping the process',
      fields: { receipt, command: 'test.gone', tenantId: T1 },
    });
  });

  it("parks a write its author may no longer make, and reads the authors' rights again after a write that changes them", async () => {
    const forbidden = new AppError(WriteError.REPLAY_FORBIDDEN, 403, 'no longer allowed');
    const demoted = '00000000-0000-4000-8000-0000000000a2';
    let revoked = false;
    const revoke = {
      name: 'test.revoke',
      version: 1,
      changesRights: true,
      handler: async () => {
        revoked = true;
        return { status: 200, body: {}, entity: 'user', entityId: U1 };
      },
    } as Command<unknown, unknown>;
    const authors: AuthorCheck = async () => {
      const now = revoked;
      return (entry) => (now && entry.userId === demoted ? forbidden : undefined);
    };
    const { journal, replayer, calls, authors: checked } = await setUp({ extra: [revoke], authors });
    await journal.append(write('test.addNote', note('early')));
    await journal.append(write('test.addNote', note('earlier')));
    await journal.append(write('test.revoke', {}));
    const late = await journal.append(write('test.addNote', note('late'), { userId: demoted }));
    await journal.append(write('test.addNote', note('later')));
    expect(await replayer.drain()).toBe('drained');
    expect(checked).toHaveBeenCalledTimes(2);
    // The second read covers the writes after the one that changed rights, only.
    expect(checked.mock.calls.map(([entries]) => entries.length)).toEqual([5, 2]);
    expect(calls).toEqual(['many:early,earlier', 'one:later']);
    expect(journal.byReceipt(T1, late)).toMatchObject({ status: 'dead', statusCode: 403, response: { code: WriteError.REPLAY_FORBIDDEN } });
  });

  it('stops the round, keeping every write pending, when the rights cannot be read now', async () => {
    const { journal, replayer, calls } = await setUp({
      authors: () => Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })),
    });
    await journal.append(write('test.addNote', note('a')));
    expect(await replayer.drain()).toBe('blocked');
    expect(calls).toEqual([]);
    expect(journal.stats().pending).toBe(1);
  });

  it('fails the round when reading the rights fails otherwise (a bug, not an outage)', async () => {
    const bug = new Error('a bug in the author check');
    const { journal, replayer, calls } = await setUp({ authors: () => Promise.reject(bug) });
    await journal.append(write('test.addNote', note('a')));
    await expect(replayer.drain()).rejects.toBe(bug);
    expect(calls).toEqual([]);
    expect(journal.stats().pending).toBe(1);
  });

  it('turns a payload of an older version into the current one, and parks one it cannot', async () => {
    const { journal, replayer, db, addNote, loaded, calls } = await setUp();
    const v2 = { ...addNote, version: 2, upcasters: { 1: (p: { id: string; text: string }) => ({ id: p.id, title: p.text }) } };
    loaded.set(addNote.name, v2 as Command<unknown, unknown>);
    await journal.append(write('test.addNote', { id: 'a', text: 'old' }));
    await journal.append(write('test.addNote', { id: 'b', text: 'older' }));
    const future = await journal.append(write('test.addNote', note('c'), { commandVersion: 3 }));
    await journal.append(write('test.addNote', note('d', 'newer'), { commandVersion: 2 }));
    await journal.append(write('test.addNote', note('e', 'newest'), { commandVersion: 2 }));
    expect(await replayer.drain()).toBe('drained');
    // The write that cannot be read goes alone, between two runs.
    expect(calls).toEqual(['many:a,b', 'many:d,e']);
    expect(await db.kysely.selectFrom('notes').selectAll().orderBy('id').execute()).toEqual([
      note('a', 'old'),
      note('b', 'older'),
      note('d', 'newer'),
      note('e', 'newest'),
    ]);
    expect(journal.byReceipt(T1, future)).toMatchObject({ status: 'dead', statusCode: 422, response: { code: WriteError.REPLAY_VERSION_UNKNOWN } });
  });

  it('finds a write whose COMMIT answer was lost saved by its audit row, or applies it with that audit row', async () => {
    const { journal, replayer, db, dispatcher, addNote, calls } = await setUp();
    const saved = write('test.addNote', note('saved'));
    // Saved by its first attempt, whose key is not what tells (a write sent without one).
    await dispatcher.dispatch(addNote, note('saved'), { ...saved, idempotencyKey: 'another', auditId: 'audit-saved' }, { replay: true });
    calls.length = 0;
    const savedReceipt = await journal.append({ ...saved, uncertain: { auditId: 'audit-saved', status: 201, body: note('saved') } });
    const lostReceipt = await journal.append({
      ...write('test.addNote', note('lost')),
      uncertain: { auditId: 'audit-lost', status: 201, body: note('lost') },
    });
    const committed = vi.spyOn(Dispatcher.prototype, 'committed');
    closing.push(() => committed.mockRestore());
    expect(await replayer.drain()).toBe('drained');
    expect(calls).toEqual(['one:lost']);
    // One look at each audit row.
    expect(committed).toHaveBeenCalledTimes(2);
    expect(journal.byReceipt(T1, savedReceipt)).toMatchObject({ status: 'duplicate', statusCode: 201, response: note('saved') });
    expect(journal.byReceipt(T1, lostReceipt)).toMatchObject({ status: 'applied' });
    expect(await db.kysely.selectFrom('audit_log').select('id').where('entity_id', '=', 'lost').execute()).toEqual([{ id: 'audit-lost' }]);
  });

  it('takes a write whose lost COMMIT went through while it ran again for a duplicate, not a dead letter', async () => {
    const { journal, replayer, db, calls } = await setUp();
    const receipt = await journal.append({ ...write('test.addNote', note('raced')), uncertain: { auditId: 'audit-raced', status: 201, body: note('raced') } });
    // The first attempt's COMMIT lands between this attempt's check of its audit row and its own
    // INSERT of that row, which then fails on the row's primary key.
    await db.kysely
      .insertInto('audit_log')
      .values({
        id: 'audit-raced',
        tenant_id: T1,
        user_id: U1,
        action: 'test.addNote',
        entity: 'note',
        entity_id: 'raced',
        request_id: 'r',
        created_at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
    const committed = vi.spyOn(Dispatcher.prototype, 'committed');
    committed.mockResolvedValueOnce(false);
    expect(await replayer.drain()).toBe('drained');
    expect(committed).toHaveBeenCalledTimes(2);
    expect(calls).toEqual(['one:raced']);
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'duplicate' });
    committed.mockRestore();
  });

  it('answers busy, applying nothing, while another process holds the replay lease', async () => {
    const { journal, replayer, calls } = await setUp();
    await journal.append(write('test.addNote', note('a')));
    expect(journal.acquireLease(REPLAY_LEASE, 'another-host|1', REPLAY_LEASE_TTL_MS)).toBe(true);
    expect(await replayer.drain()).toBe('busy');
    expect(calls).toEqual([]);
    expect(replayer.lastRound()).toBeUndefined();
    journal.releaseLease(REPLAY_LEASE, 'another-host|1');
    expect(await replayer.drain()).toBe('drained');
    // The round gives the lease back.
    expect(journal.acquireLease(REPLAY_LEASE, 'another-host|1', REPLAY_LEASE_TTL_MS)).toBe(true);
  });

  it('is blocked while the circuit is open, without touching the database', async () => {
    const { journal, replayer, circuit, calls } = await setUp();
    await journal.append(write('test.addNote', note('a')));
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 3; i++) await circuit.execute(() => Promise.reject(refused)).catch(() => undefined);
    expect(circuit.status).toBe('open');
    expect(await replayer.drain()).toBe('blocked');
    expect(calls).toEqual([]);
  });

  it('drains in the background as writes are appended, woken by each at once, and stops', async () => {
    const { journal, replayer, calls } = await setUp();
    replayer.start();
    replayer.start();
    // The loop looks at the journal every second by itself; an append wakes it at once.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const id of ['a', 'b']) {
      await journal.append(write('test.addNote', note(id)));
      const appended = performance.now();
      await vi.waitFor(() => expect(journal.hasPending()).toBe(false), { timeout: 3_000, interval: 5 });
      expect(performance.now() - appended).toBeLessThan(500);
    }
    expect(calls).toEqual(['one:a', 'one:b']);
    await replayer.stop();
    await journal.append(write('test.addNote', note('c')));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(journal.hasPending()).toBe(true);
  });

  it('backs off, doubling its wait, while a write cannot be applied', async () => {
    const { journal, replayer, lines } = await setUp();
    // The jitter at its middle: each wait is three quarters of the back-off.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    closing.push(() => random.mockRestore());
    await journal.append(write('test.unknown', {}));
    replayer.start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await replayer.stop();
    // Rounds at 0, after 187.5 ms, then 375 ms more (at 562.5 ms); the next would be 750 ms later.
    expect(lines.filter((l) => l.msg === 'journal entry waits: its module is not loaded')).toHaveLength(3);
  });

  it('is woken by the circuit closing, instead of waiting out its back-off', async () => {
    const { journal, replayer, circuit, db, calls } = await setUp();
    const ping = db.ping.bind(db);
    let down = true;
    (db as { ping: () => Promise<number> }).ping = () =>
      down ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) : ping();
    for (let i = 0; i < 3; i++)
      await circuit.execute(() => Promise.reject(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).catch(() => undefined);
    await journal.append(write('test.addNote', note('a')));
    // No jitter: the blocked rounds come at 0, 0.25, 0.75 and 1.75 s, and the next at 3.75 s.
    const random = vi.spyOn(Math, 'random').mockReturnValue(1);
    closing.push(() => random.mockRestore());
    replayer.start();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(calls).toEqual([]);
    down = false;
    const up = performance.now();
    await vi.waitFor(() => expect(journal.hasPending()).toBe(false), { timeout: 5_000, interval: 10 });
    expect(performance.now() - up).toBeLessThan(800);
  });

  it('answers busy while a replayer of another journal user in this process holds the lease', async () => {
    const { journal, replayer, dispatcher, circuit, loaded, lines } = await setUp();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    loaded.set('test.slow', {
      name: 'test.slow',
      version: 1,
      handler: async () => {
        await gate;
        return { status: 201, body: {}, entity: 'x', entityId: 'x' };
      },
    } as Command<unknown, unknown>);
    await journal.append(write('test.slow', {}));
    const { log } = recordingLog();
    const other = new Replayer(journal, dispatcher, circuit, (name) => loaded.get(name), everyone, log);
    const first = replayer.drain();
    await vi.waitFor(() => expect(journal.byReceipt(T1, journal.pending(1)[0]!.receipt)?.attemptsStarted).toBe(1));
    expect(await other.drain()).toBe('busy');
    release();
    expect(await first).toBe('drained');
    expect(lines.map((l) => l.msg)).toEqual(['journal replayed']);
  });

  it('stops a round as blocked when the journal cannot be written, and fails it on any other error of the lease', async () => {
    const { journal, replayer, calls } = await setUp();
    await journal.append(write('test.addNote', note('a')));
    const acquire = journal.acquireLease.bind(journal);
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    journal.acquireLease = () => {
      throw full;
    };
    journal.fault = () => ({ reason: 'disk-full', detail: 'the disk is full', since: new Date().toISOString() }) as ReturnType<Journal['fault']>;
    expect(await replayer.drain()).toBe('blocked');
    expect(replayer.lastRound()).toMatchObject({ outcome: 'blocked', applied: 0 });
    journal.fault = () => undefined;
    await expect(replayer.drain()).rejects.toBe(full);
    // Lost during the round: to another holder, or to a broken file.
    let calls0 = 0;
    journal.acquireLease = (...args) => (++calls0 === 1 ? acquire(...args) : false);
    expect(await replayer.drain()).toBe('busy');
    let calls1 = 0;
    journal.acquireLease = (...args) => {
      if (++calls1 === 1) return acquire(...args);
      journal.fault = () => ({ reason: 'disk-full', detail: 'the disk is full', since: new Date().toISOString() }) as ReturnType<Journal['fault']>;
      throw full;
    };
    expect(await replayer.drain()).toBe('blocked');
    expect(calls).toEqual([]);
  });

  it('stops a round between two writes when stopped', async () => {
    let replayer: Replayer | undefined;
    const stopping = {
      name: 'test.stopping',
      version: 1,
      changesRights: true,
      handler: async () => {
        void replayer?.stop();
        return { status: 200, body: {}, entity: 'x', entityId: 'x' };
      },
    } as Command<unknown, unknown>;
    const set = await setUp({ extra: [stopping] });
    replayer = set.replayer;
    for (let n = 0; n < 3; n++) await set.journal.append(write('test.stopping', {}));
    expect(await replayer.drain()).toBe('blocked');
    expect(set.journal.stats().pending).toBe(2);
  });

  it('renews the lease before each batch, and within one only once a third of its time has passed', async () => {
    // A clock that moves only when a write says so.
    let offset = 0;
    const frozen = Date.now();
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => frozen + offset);
    closing.push(() => clock.mockRestore());
    const slowRights = {
      name: 'test.rights',
      version: 1,
      changesRights: true,
      handler: async (_tx: unknown, payload: { wait: number }) => {
        offset += payload.wait;
        return { status: 200, body: {}, entity: 'x', entityId: 'x' };
      },
    } as Command<unknown, unknown>;
    const { journal, replayer, calls } = await setUp({ extra: [slowRights] });
    const third = REPLAY_LEASE_TTL_MS / 3;
    for (const wait of [third - 1, 1, 0, 0]) await journal.append(write('test.rights', { wait }));
    const acquire = vi.spyOn(journal, 'acquireLease');
    expect(await replayer.drain()).toBe('drained');
    // The round's start, the batch's, the third write's (exactly a third of the lease's time
    // after), and the empty batch's after them.
    expect(acquire).toHaveBeenCalledTimes(4);

    // Lost to another holder when renewed within a batch: the round stops there.
    for (const wait of [third, 0]) await journal.append(write('test.rights', { wait }));
    await journal.append(write('test.addNote', note('after')));
    const renew = journal.acquireLease.bind(journal);
    let renewals = 0;
    journal.acquireLease = (...args) => (++renewals <= 2 ? renew(...args) : false);
    expect(await replayer.drain()).toBe('busy');
    expect(journal.stats().pending).toBe(2);
    expect(calls).toEqual([]);
  });

  it('reads the next batch while the database applies the last run of this one', async () => {
    const { journal, replayer, calls } = await setUp();
    await Promise.all(Array.from({ length: 1_050 }, (_, n) => journal.append(write('test.addNote', note(`n${String(n).padStart(4, '0')}`)))));
    const read = vi.spyOn(journal, 'pending');
    expect(await replayer.drain()).toBe('drained');
    expect(calls.map((c) => c.split(',').length)).toEqual([1_000, 50]);
    expect(read.mock.calls.map((args) => args.length)).toEqual([1, 2, 2]);
    expect(journal.stats().pending).toBe(0);
    expect(replayer.lastRound()).toMatchObject({ applied: 1_050 });
  });

  it('keeps the marks it could not write for the next try, and reads no batch ahead of them', async () => {
    const rights = {
      name: 'test.rights',
      version: 1,
      changesRights: true,
      handler: async () => ({ status: 200, body: {}, entity: 'x', entityId: 'x' }),
    } as Command<unknown, unknown>;
    const { journal, replayer, lines } = await setUp({ extra: [rights] });
    const receipts = [];
    for (const w of [
      write('test.addNote', note('a')),
      write('test.addNote', note('b')),
      write('test.rights', {}),
      write('test.addNote', note('c')),
      write('test.addNote', note('d')),
    ]) {
      receipts.push(await journal.append(w));
    }
    const finish = journal.finishAttempts.bind(journal);
    let failures = 0;
    journal.finishAttempts = (outcomes) => {
      if (failures++ === 0) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      finish(outcomes);
    };
    const read = vi.spyOn(journal, 'pending');
    expect(await replayer.drain()).toBe('drained');
    expect(lines).toContainEqual({
      level: 'error',
      msg: 'journal marks could not be written; kept for the next try',
      fields: { err: expect.any(Error), held: 3 },
    });
    expect(read.mock.calls.map((args) => args.length)).toEqual([1, 1]);
    for (const receipt of receipts) expect(journal.byReceipt(T1, receipt)?.status).toBe('applied');
  });

  it('keeps a write going alone pending when the database refuses it, or loses its COMMIT answer, and finds it saved next time', async () => {
    const { journal, replayer, db, addNote } = await setUp();
    const receipt = await journal.append(write('test.addNote', note('a')));
    const seq = journal.byReceipt(T1, receipt)!.seq;
    // Cut off once: it goes alone.
    journal.startAttempt(seq);
    const handler = addNote.handler.bind(addNote);
    addNote.handler = () => Promise.reject(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    expect(await replayer.drain()).toBe('blocked');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'pending', lastErrorCode: 'SQLITE_BUSY', attemptsStarted: 2, attemptsFinished: 1 });
    addNote.handler = handler;
    loseTheCommitAnswer(db);
    expect(await replayer.drain()).toBe('blocked');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'pending', lastErrorCode: WriteError.WRITE_OUTCOME_UNKNOWN, attemptsStarted: 3 });
    expect(await replayer.drain()).toBe('drained');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'duplicate', statusCode: 201, response: note('a') });
  });

  it("answers a write going alone from its key's first outcome even after the key expired", async () => {
    const { journal, replayer, db, dispatcher, addNote, calls } = await setUp();
    const entry = write('test.addNote', note('a'));
    const receipt = await journal.append(entry);
    journal.startAttempt(journal.byReceipt(T1, receipt)!.seq);
    await dispatcher.dispatch(addNote, note('a'), { ...entry }, { replay: true });
    await db.kysely.updateTable('idempotency_keys').set({ expires_at: '2000-01-01T00:00:00.000Z' }).execute();
    calls.length = 0;
    expect(await replayer.drain()).toBe('drained');
    expect(calls).toEqual([]);
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'duplicate', statusCode: 201 });
  });

  it('parks a write whose lost COMMIT was not saved and which now breaks a rule', async () => {
    const { journal, replayer, db } = await setUp();
    const receipt = await journal.append({ ...write('test.addNote', note('a')), uncertain: { auditId: 'audit-a', status: 201, body: note('a') } });
    await db.kysely.insertInto('notes').values(note('a')).execute();
    expect(await replayer.drain()).toBe('drained');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'dead', statusCode: 409, lastErrorCode: 'ERR_TEST_NOTE_TAKEN' });
  });

  it('keeps a write whose lost COMMIT cannot be checked now pending', async () => {
    const { journal, replayer, db } = await setUp();
    const receipt = await journal.append({ ...write('test.addNote', note('a')), uncertain: { auditId: 'audit-a', status: 201, body: note('a') } });
    // The attempt fails on a rule (its note is there), and the check that would tell whether
    // the first attempt saved it cannot run now.
    await db.kysely.insertInto('notes').values(note('a')).execute();
    const committed = vi.spyOn(Dispatcher.prototype, 'committed');
    closing.push(() => committed.mockRestore());
    committed.mockResolvedValueOnce(false).mockRejectedValueOnce(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
    expect(await replayer.drain()).toBe('blocked');
    expect(journal.byReceipt(T1, receipt)).toMatchObject({ status: 'pending', lastErrorCode: 'SQLITE_BUSY', attemptsFinished: 1 });
  });
});
