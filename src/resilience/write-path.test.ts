import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrokenCircuitError } from 'cockatiel';
import { afterEach, describe, expect, it } from 'vitest';
import { noteCommands, openCommandDatabase, T1, U1, type Note } from '../../test/support/note-commands.js';
import { DatabaseCircuit } from './circuit.js';
import type { Command } from './command.js';
import { Dispatcher, WriteOutcomeUnknownError, type DispatchMeta } from './dispatcher.js';
import { Journal } from './journal/journal.js';
import { WriteError } from './write-errors.js';
import { WritePath } from './write-path.js';
import { recordingLog } from '../../test/support/recording-log.js';

const closing: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

/**
 * A write path on a new journal and SQLite database. `dispatch`, when given, stands in for the
 * dispatcher's (to fail the way a test needs at once, without the retries' waits).
 */
async function setUp(options: { dispatch?: Dispatcher['dispatch']; journalMegabytes?: number; tenantMegabytes?: number } = {}) {
  const notes = await openCommandDatabase();
  closing.push(() => notes.close());
  const megabytes = options.journalMegabytes ?? 64;
  const journal = new Journal(mkdtempSync(path.join(os.tmpdir(), 'robusto-write-path-')), {
    maxMegabytes: megabytes,
    tenantMaxMegabytes: options.tenantMegabytes ?? megabytes,
  });
  closing.push(() => journal.close());
  const { log, lines } = recordingLog();
  const circuit = new DatabaseCircuit(notes.db, log);
  closing.push(() => circuit.stop());
  const dispatcher = new Dispatcher(notes.db, { idempotencyTtlHours: 1 });
  const metas: DispatchMeta[] = [];
  const real = dispatcher.dispatch.bind(dispatcher);
  dispatcher.dispatch = (command, payload, meta, dispatchOptions) => {
    metas.push(meta);
    return (options.dispatch ?? real)(command, payload, meta, dispatchOptions);
  };
  const writes = new WritePath(dispatcher, journal, circuit, log);
  return { db: notes.db, journal, circuit, writes, lines, metas, ...noteCommands() };
}

function meta(extra: Partial<DispatchMeta> = {}): DispatchMeta {
  return { tenantId: T1, userId: U1, requestId: 'req-1', fingerprint: 'fp-1', ...extra };
}

function note(id: string): Note {
  return { id, title: id };
}

async function openCircuit(circuit: DatabaseCircuit): Promise<void> {
  for (let i = 0; i < 3; i++) await circuit.execute(() => Promise.reject(busy())).catch(() => undefined);
  expect(circuit.closed).toBe(false);
}

describe('WritePath', () => {
  it('writes straight to the database while it answers and the journal is empty, with an audit row id of its own', async () => {
    const { writes, addNote, journal, metas, db } = await setUp();
    const submitted = await writes.submit(addNote, note('a'), meta({ idempotencyKey: 'k1' }));
    expect(submitted).toEqual({ kind: 'done', result: { status: 201, body: note('a'), replayed: false } });
    expect(metas).toEqual([{ tenantId: T1, userId: U1, requestId: 'req-1', idempotencyKey: 'k1', fingerprint: 'fp-1', auditId: expect.any(String) }]);
    const audit = await db.kysely.selectFrom('audit_log').select('id').execute();
    expect(audit).toEqual([{ id: metas[0]?.auditId }]);
    expect(journal.stats().appendedTotal).toBe(0);
  });

  it('journals a write at once while the circuit is open, with everything replay needs, and tries no database', async () => {
    const { writes, addNote, journal, circuit, metas } = await setUp();
    await openCircuit(circuit);
    const secretive: Command<Note, Note> = { ...(addNote as unknown as Command<Note, Note>), secretFields: ['title'] };
    const submitted = await writes.submit(secretive, note('a'), meta({ idempotencyKey: 'k1', tokenEpoch: 4 }));
    expect(submitted).toEqual({ kind: 'queued', receipt: expect.any(String), replayed: false });
    const entry = journal.byReceipt(T1, (submitted as { receipt: string }).receipt);
    expect(entry).toMatchObject({
      tenantId: T1,
      userId: U1,
      idempotencyKey: 'k1',
      fingerprint: 'fp-1',
      command: 'test.addNote',
      commandVersion: 1,
      payload: note('a'),
      secretFields: ['title'],
      tokenEpoch: 4,
      requestId: 'req-1',
      appliedIfAudit: null,
      statusCode: null,
    });
    expect(metas).toEqual([]);
    const keyless = await writes.submit(addNote, note('b'), meta());
    const second = journal.byReceipt(T1, (keyless as { receipt: string }).receipt)!;
    expect(second.idempotencyKey).toMatch(/^auto:[0-9a-f-]{36}$/);
    expect(second).toMatchObject({ secretFields: [], tokenEpoch: null });
  });

  it('queues a write behind those waiting in the journal, without trying the database', async () => {
    const { writes, addNote, journal, metas } = await setUp();
    await journal.append({
      tenantId: T1,
      userId: U1,
      idempotencyKey: 'auto:1',
      fingerprint: '',
      command: 'test.addNote',
      commandVersion: 1,
      payload: note('a'),
      requestId: 'r0',
    });
    const submitted = await writes.submit(addNote, note('b'), meta());
    expect(submitted).toMatchObject({ kind: 'queued', replayed: false });
    expect(metas).toEqual([]);
    expect(journal.pending(10).map((e) => (e.payload as Note).id)).toEqual(['a', 'b']);
  });

  it('journals a write of a module waiting for its migrations, without trying the database', async () => {
    const { writes, addNote, metas } = await setUp();
    expect(await writes.submit(addNote, note('a'), meta(), { journalOnly: true })).toMatchObject({ kind: 'queued', replayed: false });
    expect(metas).toEqual([]);
  });

  it('journals a write the database refused for a while, saying so in the log', async () => {
    const { writes, addNote, journal, lines } = await setUp({ dispatch: () => Promise.reject(busy()) });
    const submitted = await writes.submit(addNote, note('a'), meta());
    expect(submitted).toMatchObject({ kind: 'queued', replayed: false });
    expect(journal.stats().pending).toBe(1);
    expect(lines).toEqual([
      {
        level: 'warn',
        msg: 'database unavailable; write journaled',
        fields: { command: 'test.addNote', err: expect.objectContaining({ code: 'SQLITE_BUSY' }), outcomeUnknown: false },
      },
    ]);
  });

  it('journals a write the open circuit turned away', async () => {
    const { writes, addNote, journal } = await setUp({ dispatch: () => Promise.reject(new BrokenCircuitError()) });
    expect(await writes.submit(addNote, note('a'), meta())).toMatchObject({ kind: 'queued' });
    expect(journal.stats().pending).toBe(1);
  });

  it('journals a write whose COMMIT answer was lost with its audit row id and what it answered', async () => {
    let auditId: string | undefined;
    const { writes, addNote, journal, lines } = await setUp({
      dispatch: (_command, _payload, m) => {
        auditId = m.auditId;
        return Promise.reject(new WriteOutcomeUnknownError('k1', busy(), { status: 201, body: note('a') }));
      },
    });
    const submitted = await writes.submit(addNote, note('a'), meta({ idempotencyKey: 'k1' }));
    const entry = journal.byReceipt(T1, (submitted as { receipt: string }).receipt);
    expect(entry).toMatchObject({ appliedIfAudit: auditId, statusCode: 201, response: note('a') });
    expect(auditId).toEqual(expect.any(String));
    expect(lines[0]?.fields.outcomeUnknown).toBe(true);
  });

  it('answers a permanent failure as it is, journaling nothing', async () => {
    const refused = new Error('a rule');
    const { writes, addNote, journal, lines } = await setUp({ dispatch: () => Promise.reject(refused) });
    await expect(writes.submit(addNote, note('a'), meta())).rejects.toBe(refused);
    expect(journal.stats().appendedTotal).toBe(0);
    expect(lines).toEqual([]);
  });

  it('answers a retry of a write waiting in the journal with its receipt, and a key reused with another request with 422', async () => {
    const { writes, addNote, journal, circuit } = await setUp();
    await openCircuit(circuit);
    const firstSubmit = writes.submit(addNote, note('a'), meta({ idempotencyKey: 'k1' }));
    // A retry arriving while the first append waits for its group commit.
    while (!journal.queuedByKey(T1, 'k1')) await Promise.resolve();
    const [first, concurrent] = await Promise.all([firstSubmit, writes.submit(addNote, note('a'), meta({ idempotencyKey: 'k1' }))]);
    const receipt = (first as { receipt: string }).receipt;
    expect(concurrent).toEqual({ kind: 'queued', receipt, replayed: true });
    expect(await writes.submit(addNote, note('a'), meta({ idempotencyKey: 'k1' }))).toEqual({ kind: 'queued', receipt, replayed: true });
    await expect(writes.submit(addNote, note('b'), meta({ idempotencyKey: 'k1', fingerprint: 'fp-2' }))).rejects.toMatchObject({
      code: WriteError.IDEMPOTENCY_KEY_REUSED,
      status: 422,
    });
    const other = writes.submit(addNote, note('c'), meta({ idempotencyKey: 'k2' }));
    while (!journal.queuedByKey(T1, 'k2')) await Promise.resolve();
    await expect(writes.submit(addNote, note('c'), meta({ idempotencyKey: 'k2', fingerprint: 'fp-3' }))).rejects.toMatchObject({
      code: WriteError.IDEMPOTENCY_KEY_REUSED,
    });
    await other;
    expect(journal.stats().appendedTotal).toBe(2);
    // Once applied, the key is the database's business again.
    const entry = journal.byReceipt(T1, receipt)!;
    journal.finishAttempt(entry.seq, { status: 'applied', statusCode: 201, response: note('a') });
    const again = await writes.submit(addNote, note('a'), meta({ idempotencyKey: 'k1' }));
    expect(again).toMatchObject({ kind: 'queued', replayed: false });
    expect((again as { receipt: string }).receipt).not.toBe(receipt);
  });

  it('answers 503, never 202, when the journal cannot take a write, naming why it went there and why it was refused', async () => {
    const { writes, addNote, circuit } = await setUp({ journalMegabytes: 0.001 });
    await openCircuit(circuit);
    let refused: unknown;
    for (let n = 0; n < 10 && !refused; n++) await writes.submit(addNote, note(`n${n}`), meta()).catch((error: unknown) => (refused = error));
    expect(refused).toMatchObject({
      code: WriteError.JOURNAL_UNAVAILABLE,
      status: 503,
      retryAfterSeconds: 30,
      extensions: { reason: 'limit' },
      message: expect.stringMatching(
        /^The database is not answering, and the local journal cannot take the write: the journal is full .*Nothing was saved; retry later\.$/,
      ),
    });
    const waiting = await writes.submit(addNote, note('d'), meta(), { journalOnly: true }).catch((error: unknown) => error);
    expect((waiting as Error).message).toMatch(/^This module's tables wait for their migrations/);
  });

  it('answers 503 to a retry whose first append the journal failed to write, naming the retry', async () => {
    const { writes, addNote, journal, circuit } = await setUp();
    await openCircuit(circuit);
    // A row the file refuses (a NOT NULL column left empty) makes the group commit fail.
    const unnamed = { ...addNote, name: null as unknown as string };
    const first = writes.submit(unnamed, note('a'), meta({ idempotencyKey: 'k1' })).catch((error: unknown) => error);
    while (!journal.queuedByKey(T1, 'k1')) await Promise.resolve();
    const retry = await writes.submit(unnamed, note('a'), meta({ idempotencyKey: 'k1' })).catch((error: unknown) => error);
    expect(await first).toMatchObject({ code: WriteError.JOURNAL_UNAVAILABLE, extensions: { reason: 'write-failed' } });
    expect(retry).toMatchObject({
      code: WriteError.JOURNAL_UNAVAILABLE,
      status: 503,
      message: expect.stringMatching(/^A write with this Idempotency-Key is being queued in the local journal, and the local journal cannot take the write/),
    });
  });

  it("answers 503 with the tenant's own code when its share is full", async () => {
    const { writes, addNote } = await setUp({ journalMegabytes: 1, tenantMegabytes: 0.001, dispatch: () => Promise.reject(busy()) });
    let refused: unknown;
    for (let n = 0; n < 10 && !refused; n++) await writes.submit(addNote, note(`n${n}`), meta()).catch((error: unknown) => (refused = error));
    expect(refused).toMatchObject({
      code: WriteError.JOURNAL_TENANT_FULL,
      status: 503,
      retryAfterSeconds: 30,
      message: expect.stringMatching(
        /^Writes accepted while the database was down still wait in the local journal .*fill its share of it \(this tenant's writes/,
      ),
    });
  });

  it('names the database as the reason when it refused a write the journal cannot take either', async () => {
    const { writes, addNote } = await setUp({ journalMegabytes: 0.0005, dispatch: () => Promise.reject(busy()) });
    const refused = await writes.submit(addNote, { id: 'a', title: 'x'.repeat(1_000) }, meta()).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: WriteError.JOURNAL_UNAVAILABLE,
      message: expect.stringMatching(/^The database is not answering, and the local journal/),
    });
  });

  it("gives a lost COMMIT's own 503 when the journal cannot take that write", async () => {
    const lost = new WriteOutcomeUnknownError('k', busy(), { status: 201, body: {} });
    const { writes, addNote } = await setUp({ journalMegabytes: 0.0005, dispatch: () => Promise.reject(lost) });
    await expect(writes.submit(addNote, { id: 'a', title: 'x'.repeat(1_000) }, meta())).rejects.toBe(lost);
  });

  it('passes on an error of the journal other than a refusal', async () => {
    const { writes, addNote, circuit } = await setUp();
    await openCircuit(circuit);
    await expect(writes.submit(addNote, { id: 'a', title: 1n } as unknown as Note, meta())).rejects.toThrow(TypeError);
  });
});
