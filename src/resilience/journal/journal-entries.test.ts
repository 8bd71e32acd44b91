import { mkdirSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JournalAppend } from './entry.js';
import { JournalTenantFullError, JournalUnavailableError } from './journal-errors.js';
import { GROUP_COMMIT_MAX_BATCH } from './group-commit.js';
import { Journal } from './journal.js';
import { JOURNAL_PEEK_INTERVAL_MS } from './pending-writes.js';

const opened: Journal[] = [];
afterEach(() => {
  for (const journal of opened.splice(0)) journal.close();
});

function open(maxMegabytes = 64, tenantMaxMegabytes = maxMegabytes / 4): Journal {
  const journal = new Journal(mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-entries-')), { maxMegabytes, tenantMaxMegabytes });
  opened.push(journal);
  return journal;
}

let counter = 0;
function write(extra: Partial<JournalAppend> = {}): JournalAppend {
  counter++;
  return {
    tenantId: 't1',
    userId: 'u1',
    idempotencyKey: `auto:${counter}`,
    fingerprint: `fp${counter}`,
    command: 'test.write',
    commandVersion: 1,
    payload: { n: counter },
    requestId: `r${counter}`,
    ...extra,
  };
}

/** Appends `writes` one after another (each its own group commit); resolves their entries. */
async function appendAll(journal: Journal, writes: JournalAppend[]) {
  const entries = [];
  for (const w of writes) {
    const receipt = await journal.append(w);
    entries.push(journal.byReceipt(w.tenantId, receipt)!);
  }
  return entries;
}

describe('Journal entries', () => {
  it('stores every field of an append and reads it back by receipt, within its tenant only', async () => {
    const journal = open();
    const before = new Date().toISOString();
    const receipt = await journal.append(
      write({
        tenantId: 't9',
        userId: null,
        idempotencyKey: 'client-key',
        fingerprint: 'fp',
        command: 'x.y',
        commandVersion: 3,
        payload: { a: [1, 'b'] },
        requestId: 'req',
        tokenEpoch: 7,
        secretFields: ['a'],
      }),
    );
    expect(receipt).toMatch(/^[0-9a-f-]{36}$/);
    const entry = journal.byReceipt('t9', receipt)!;
    expect(entry).toEqual({
      seq: expect.any(Number),
      receipt,
      tenantId: 't9',
      userId: null,
      idempotencyKey: 'client-key',
      fingerprint: 'fp',
      command: 'x.y',
      commandVersion: 3,
      payload: { a: [1, 'b'] },
      secretFields: ['a'],
      tokenEpoch: 7,
      requestId: 'req',
      acceptedAt: expect.any(String),
      status: 'pending',
      attemptsStarted: 0,
      attemptsFinished: 0,
      lastError: null,
      lastErrorCode: null,
      statusCode: null,
      response: null,
      appliedIfAudit: null,
    });
    expect(entry.acceptedAt >= before && entry.acceptedAt <= new Date().toISOString()).toBe(true);
    expect(journal.byReceipt('t1', receipt)).toBeUndefined();
    const plain = journal.byReceipt('t1', await journal.append(write({ secretFields: [] })))!;
    expect(plain).toMatchObject({ secretFields: [], tokenEpoch: null });
  });

  it("keeps what a write whose COMMIT answer was lost answered, and its audit row's id", async () => {
    const journal = open();
    const receipt = await journal.append(write({ uncertain: { auditId: 'audit-1', status: 201, body: { id: 'x' } } }));
    expect(journal.byReceipt('t1', receipt)).toMatchObject({ appliedIfAudit: 'audit-1', statusCode: 201, response: { id: 'x' }, status: 'pending' });
  });

  it('refuses a payload that cannot be written as JSON, and journals nothing', async () => {
    const journal = open();
    await expect(journal.append(write({ payload: { n: 1n } }))).rejects.toThrow(TypeError);
    expect(journal.stats()).toMatchObject({ pending: 0, appendedTotal: 0, groupCommits: 0 });
    expect(journal.hasPending()).toBe(false);
  });

  it('acknowledges an append no sooner than the peek interval after its commit, and counts the commits', async () => {
    const journal = open();
    const started = performance.now();
    await Promise.all([journal.append(write()), journal.append(write())]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(JOURNAL_PEEK_INTERVAL_MS - 1);
    await journal.append(write());
    expect(journal.stats()).toMatchObject({ groupCommits: 2, appendedTotal: 3, pending: 3 });
  });

  it(`commits ${GROUP_COMMIT_MAX_BATCH} appends a transaction at most`, async () => {
    const journal = open();
    await Promise.all(Array.from({ length: GROUP_COMMIT_MAX_BATCH + 1 }, () => journal.append(write())));
    expect(journal.stats()).toMatchObject({ groupCommits: 2, appendedTotal: GROUP_COMMIT_MAX_BATCH + 1 });
  });

  it('tells an append of a key still waiting for its commit, for that tenant only', async () => {
    const journal = open();
    const appending = journal.append(write({ idempotencyKey: 'k', fingerprint: 'f-k' }));
    const queued = journal.queuedByKey('t1', 'k');
    expect(queued?.fingerprint).toBe('f-k');
    expect(journal.queuedByKey('t2', 'k')).toBeUndefined();
    expect(journal.queuedByKey('t1', 'other')).toBeUndefined();
    expect(journal.hasPending()).toBe(true);
    expect(await queued!.done).toBe(await appending);
    expect(journal.queuedByKey('t1', 'k')).toBeUndefined();
  });

  it("finds a tenant's latest entry of a key", async () => {
    const journal = open();
    const [first, second] = await appendAll(journal, [write({ idempotencyKey: 'k' }), write({ idempotencyKey: 'k' })]);
    await appendAll(journal, [write({ idempotencyKey: 'k', tenantId: 't2' })]);
    expect(first!.seq).toBeLessThan(second!.seq);
    expect(journal.byKey('t1', 'k')?.receipt).toBe(second!.receipt);
    expect(journal.byKey('t3', 'k')).toBeUndefined();
  });

  it("lists the pending entries oldest first, every tenant's or one's, after a seq, up to a limit", async () => {
    const journal = open();
    const [a, b, c, d] = await appendAll(journal, [write(), write({ tenantId: 't2' }), write(), write()]);
    journal.finishAttempt(c!.seq, { status: 'applied', statusCode: 201, response: {} });
    expect(journal.pending(10).map((e) => e.seq)).toEqual([a!.seq, b!.seq, d!.seq]);
    expect(journal.pending(2).map((e) => e.seq)).toEqual([a!.seq, b!.seq]);
    expect(journal.pending(10, a!.seq).map((e) => e.seq)).toEqual([b!.seq, d!.seq]);
    expect(journal.pendingOf('t1', 10).map((e) => e.seq)).toEqual([a!.seq, d!.seq]);
    expect(journal.pendingOf('t1', 1).map((e) => e.seq)).toEqual([a!.seq]);
    expect(journal.pendingOf('t1', 10, a!.seq).map((e) => e.seq)).toEqual([d!.seq]);
    expect(journal.pendingOf(undefined, 10, a!.seq).map((e) => e.seq)).toEqual([b!.seq, d!.seq]);
    expect(journal.pendingOf(undefined, 2).map((e) => e.seq)).toEqual([a!.seq, b!.seq]);
  });

  it("lists the dead letters oldest first, every tenant's or one's, after a seq, up to a limit", async () => {
    const journal = open();
    const entries = await appendAll(journal, [write(), write({ tenantId: 't2' }), write(), write(), write()]);
    const [a, b, c, , e] = entries;
    for (const entry of [a, b, c, e]) journal.finishAttempt(entry!.seq, { status: 'dead', statusCode: 422, error: 'bad', errorCode: 'ERR_BAD' });
    expect(journal.deadLetters('t1', 10).map((x) => x.seq)).toEqual([a!.seq, c!.seq, e!.seq]);
    expect(journal.deadLetters('t1', 2).map((x) => x.seq)).toEqual([a!.seq, c!.seq]);
    expect(journal.deadLetters('t1', 10, a!.seq).map((x) => x.seq)).toEqual([c!.seq, e!.seq]);
    expect(journal.deadLetters(undefined, 10, a!.seq).map((x) => x.seq)).toEqual([b!.seq, c!.seq, e!.seq]);
    expect(journal.deadLetters(undefined, 1).map((x) => x.seq)).toEqual([a!.seq]);
    expect(journal.deadLetters('t1', 1)[0]).toMatchObject({ status: 'dead', statusCode: 422, lastError: 'bad', lastErrorCode: 'ERR_BAD' });
  });

  it('keeps the answer and error of earlier attempts when a later one leaves them out', async () => {
    const journal = open();
    const [entry] = await appendAll(journal, [write()]);
    journal.startAttempts([entry!.seq]);
    journal.finishAttempt(entry!.seq, { status: 'pending', error: 'database is locked', errorCode: 'SQLITE_BUSY' });
    journal.startAttempt(entry!.seq);
    journal.finishAttempt(entry!.seq, { status: 'pending' });
    expect(journal.byReceipt('t1', entry!.receipt)).toMatchObject({
      status: 'pending',
      lastError: 'database is locked',
      lastErrorCode: 'SQLITE_BUSY',
      attemptsStarted: 2,
      attemptsFinished: 2,
    });
    journal.finishAttempt(entry!.seq, { status: 'applied', statusCode: 200, response: { done: true } });
    expect(journal.byReceipt('t1', entry!.receipt)).toMatchObject({
      status: 'applied',
      statusCode: 200,
      response: { done: true },
      lastError: 'database is locked',
    });
    expect(journal.hasPending()).toBe(false);
  });

  it('counts a batch of attempts in one call each way', async () => {
    const journal = open();
    const [a, b] = await appendAll(journal, [write(), write()]);
    journal.startAttempts([a!.seq, b!.seq]);
    journal.finishAttempts([
      { seq: a!.seq, status: 'applied', statusCode: 201, response: 1 },
      { seq: b!.seq, status: 'pending', error: 'later' },
    ]);
    expect(journal.byReceipt('t1', a!.receipt)).toMatchObject({ status: 'applied', attemptsStarted: 1, attemptsFinished: 1, response: 1 });
    expect(journal.byReceipt('t1', b!.receipt)).toMatchObject({ status: 'pending', attemptsStarted: 1, attemptsFinished: 1, lastError: 'later' });
    expect(journal.stats().pending).toBe(1);
    expect(journal.hasPending()).toBe(true);
  });

  it('gives the figures of the whole journal, of a tenant, and of the writes waiting by command and version', async () => {
    const journal = open();
    const empty = journal.stats();
    expect(empty).toEqual({ pending: 0, oldestPendingAt: null, dead: 0, groupCommits: 0, appendedTotal: 0 });
    const [a, b, c] = await appendAll(journal, [
      write({ command: 'b.write' }),
      write({ tenantId: 't2', command: 'a.write', commandVersion: 2 }),
      write({ tenantId: 't2', command: 'a.write' }),
      write({ command: 'a.write', commandVersion: 2 }),
    ]);
    journal.finishAttempt(a!.seq, { status: 'dead', error: 'bad' });
    expect(journal.stats()).toEqual({ pending: 3, oldestPendingAt: b!.acceptedAt, dead: 1, groupCommits: 4, appendedTotal: 4 });
    expect(journal.tenantStats('t1')).toEqual({ pending: 1, oldestPendingAt: expect.any(String), dead: 1 });
    expect(journal.tenantStats('t2')).toEqual({ pending: 2, oldestPendingAt: b!.acceptedAt, dead: 0 });
    expect(journal.tenantStats('t3')).toEqual({ pending: 0, oldestPendingAt: null, dead: 0 });
    journal.finishAttempt(b!.seq, { status: 'applied', statusCode: 201, response: {} });
    expect(journal.tenantStats('t2').oldestPendingAt).toBe(c!.acceptedAt);
    expect(journal.pendingByCommand()).toEqual([
      { command: 'a.write', version: 1, pending: 1 },
      { command: 'a.write', version: 2, pending: 1 },
    ]);
  });

  it('puts a dead letter back at its old place, recording who, and says so only for a dead letter of that tenant', async () => {
    const journal = open();
    const [dead, live] = await appendAll(journal, [write(), write()]);
    journal.finishAttempt(dead!.seq, { status: 'dead', error: 'bad' });
    let woken = 0;
    journal.onAppend(() => woken++);
    expect(await journal.retryDead('t2', dead!.receipt, 'u9')).toBe(false);
    expect(await journal.retryDead('t1', live!.receipt, 'u9')).toBe(false);
    expect(await journal.retryDead('t1', 'no-such-receipt', 'u9')).toBe(false);
    expect(woken).toBe(0);
    const started = performance.now();
    expect(await journal.retryDead('t1', dead!.receipt, 'u9')).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(JOURNAL_PEEK_INTERVAL_MS - 1);
    expect(woken).toBe(1);
    expect(journal.pending(10).map((e) => e.seq)).toEqual([dead!.seq, live!.seq]);
    expect(journal.stats()).toMatchObject({ pending: 2, dead: 0 });
    expect(await journal.retryDead('t1', dead!.receipt, 'u9')).toBe(false);
  });

  it('discards a dead letter for good, only one of that tenant, keeping the entry', async () => {
    const journal = open();
    const [dead, live] = await appendAll(journal, [write(), write()]);
    journal.finishAttempt(dead!.seq, { status: 'dead', error: 'bad' });
    expect(journal.discardDead('t2', dead!.receipt, 'u9', 'wrong tenant')).toBe(false);
    expect(journal.discardDead('t1', live!.receipt, 'u9', 'not dead')).toBe(false);
    expect(journal.discardDead('t1', dead!.receipt, 'u9', 'typed twice')).toBe(true);
    expect(journal.byReceipt('t1', dead!.receipt)?.status).toBe('discarded');
    expect(journal.byReceipt('t1', live!.receipt)?.status).toBe('pending');
    expect(journal.stats().dead).toBe(0);
    expect(journal.discardDead('t1', dead!.receipt, 'u9', 'again')).toBe(false);
    expect(await journal.retryDead('t1', dead!.receipt, 'u9')).toBe(false);
  });

  it('says why it takes no write when full, and takes writes again as the entries are applied', async () => {
    const journal = open(1, 1);
    const big = 'x'.repeat(100 * 1024);
    const taken: string[] = [];
    let refused: unknown;
    while (!refused && taken.length < 20) {
      await journal
        .append(write({ payload: { big } }))
        .then((receipt) => taken.push(receipt))
        .catch((error: unknown) => (refused = error));
    }
    expect(refused).toBeInstanceOf(JournalUnavailableError);
    expect(refused).not.toBeInstanceOf(JournalTenantFullError);
    expect(refused).toMatchObject({
      reason: 'limit',
      message: expect.stringContaining('the journal is full (the writes waiting in it hold 1 MB, JOURNAL_MAX_MB)'),
    });
    // 1 MB of 100 KiB entries (each with its overhead): 10 fit.
    expect(taken).toHaveLength(10);
    // 21,916 bytes are left (10 × (102,400 + 10 of JSON + 256 of overhead) taken): a smaller
    // write still fits, and the journal is writable while one more entry's overhead does.
    expect(journal.probe()).toBeUndefined();
    await journal.append(write({ payload: { small: 'x'.repeat(20_000) } }));
    expect(journal.writable()).toBe(true);
    await journal.append(write({ payload: { small: 'x'.repeat(1_300) } }));
    expect(journal.writable()).toBe(false);
    expect(journal.probe()).toEqual({ reason: 'limit', detail: 'the journal is full (the writes waiting in it hold 1 MB, JOURNAL_MAX_MB)' });
    expect(journal.fault()).toBeUndefined();
    expect(journal.failure()).toBeUndefined();
    for (const entry of journal.pending(3)) journal.finishAttempt(entry.seq, { status: 'applied', statusCode: 201, response: {} });
    expect(journal.writable()).toBe(true);
    expect(journal.probe()).toBeUndefined();
  });

  it("refuses a tenant past its share with that tenant's message", async () => {
    const journal = open(4, 1);
    const big = 'x'.repeat(300 * 1024);
    const refusal = await (async () => {
      for (let n = 0; n < 10; n++) {
        const error = await journal.append(write({ payload: { big } })).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error) return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(JournalTenantFullError);
    expect((refusal as Error).message).toContain("this tenant's writes waiting in the journal hold their whole share (1 MB, JOURNAL_TENANT_MAX_MB)");
    expect(journal.stats().pending).toBe(3);
  });

  it('records who put a dead letter back, and who discarded one and why', async () => {
    const journal = open();
    const [retried, discarded] = await appendAll(journal, [write(), write()]);
    for (const e of [retried, discarded]) journal.finishAttempt(e!.seq, { status: 'dead', error: 'bad' });
    await journal.retryDead('t1', retried!.receipt, 'u-retry');
    journal.discardDead('t1', discarded!.receipt, 'u-discard', 'typed twice');
    const file = new SqliteDatabase(journal.file, { readonly: true });
    try {
      const rows = file.prepare('select receipt, retried_by, retried_at, discarded_by, discard_reason, finished_at from entries order by seq').all();
      expect(rows).toEqual([
        { receipt: retried!.receipt, retried_by: 'u-retry', retried_at: expect.any(String), discarded_by: null, discard_reason: null, finished_at: null },
        {
          receipt: discarded!.receipt,
          retried_by: null,
          retried_at: null,
          discarded_by: 'u-discard',
          discard_reason: 'typed twice',
          finished_at: expect.any(String),
        },
      ]);
    } finally {
      file.close();
    }
  });

  it('counts the appends waiting for their commit against the limits, in all and by tenant, and frees them once written', async () => {
    const journal = open(0.001, 0.001);
    // 1,048 bytes in all: three appends of 278 bytes (22 of JSON and 256 of overhead) fit, the fourth does not.
    const appends = Array.from({ length: 5 }, (_, n) => journal.append(write({ tenantId: `t${n}`, payload: { n: `${n}`.padStart(15, '0') } })));
    const settled = await Promise.allSettled(appends);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((settled[3] as PromiseRejectedResult).reason).toMatchObject({ name: 'JournalUnavailableError', reason: 'limit' });
    const share = open(1, 0.001);
    const same = await Promise.allSettled(Array.from({ length: 5 }, (_, n) => share.append(write({ payload: { n: `${n}`.padStart(15, '0') } }))));
    expect(same.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((same[3] as PromiseRejectedResult).reason).toMatchObject({ name: 'JournalTenantFullError' });
    // Written, they count on disk instead; applied, they count no more.
    for (const entry of share.pending(10)) share.finishAttempt(entry.seq, { status: 'applied', statusCode: 201, response: {} });
    await expect(share.append(write({ payload: { n: '000000000000000' } }))).resolves.toEqual(expect.any(String));
  });

  it('frees what a failed group commit held, so the writes after it are counted from nothing', async () => {
    const journal = new Journal(
      mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-entries-')),
      { maxMegabytes: 0.001, tenantMaxMegabytes: 0.001 },
      { reprobeIntervalMs: 20 },
    );
    opened.push(journal);
    // A row the file refuses (a NOT NULL column left empty) fails its batch, and the appends queued with it.
    const failing = [journal.append(write({ command: null as unknown as string })), journal.append(write()), journal.append(write())];
    for (const result of await Promise.allSettled(failing)) expect(result.status).toBe('rejected');
    await vi.waitFor(() => expect(journal.writable()).toBe(true), { timeout: 2_000, interval: 5 });
    const after = await Promise.allSettled([journal.append(write()), journal.append(write()), journal.append(write())]);
    expect(after.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
  });

  it('commits an append still queued when the journal closes, then closes the file', async () => {
    const journal = new Journal(mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-entries-')), { maxMegabytes: 64, tenantMaxMegabytes: 16 });
    const appending = journal.append(write());
    journal.close();
    await expect(appending).resolves.toEqual(expect.any(String));
    const closed = new Journal(mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-entries-')), { maxMegabytes: 64, tenantMaxMegabytes: 16 });
    closed.close();
    expect(() => closed.pending(1)).toThrow(/not open/);
    // A lease given up after the close is no error: it runs out by itself.
    expect(() => closed.releaseLease('replay', 'me')).not.toThrow();
  });

  it("takes a lease whose holder's time ran out, to the millisecond, and keeps one whose time runs", async () => {
    const journal = open();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      expect(journal.acquireLease('replay', 'a', 10)).toBe(true);
      expect(journal.acquireLease('replay', 'b', 10)).toBe(false);
      clock.mockReturnValue(1_000_009);
      expect(journal.acquireLease('replay', 'b', 10)).toBe(false);
      clock.mockReturnValue(1_000_010);
      expect(journal.acquireLease('replay', 'b', 10)).toBe(true);
      // Given up by its holder, it is free at once; by another, it stays.
      journal.releaseLease('replay', 'a');
      expect(journal.acquireLease('replay', 'a', 10)).toBe(false);
      journal.releaseLease('replay', 'b');
      expect(journal.acquireLease('replay', 'a', 10)).toBe(true);
      // A holder known to be gone loses it at once.
      expect(journal.acquireLease('replay', 'b', 10, (holder) => holder === 'a')).toBe(true);
    } finally {
      clock.mockRestore();
    }
  });

  it('starts broken when its file cannot be opened (a directory in its place), takes no write, and opens the file once it can', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-entries-'));
    mkdirSync(path.join(dir, 'journal.db'));
    const journal = new Journal(dir, { maxMegabytes: 64, tenantMaxMegabytes: 16 }, { reprobeIntervalMs: 20 });
    opened.push(journal);
    expect(journal.fault()).toMatchObject({ reason: 'cannot-open' });
    expect(journal.failure()).toMatch(/^cannot open .*journal\.db/);
    expect(journal.writable()).toBe(false);
    await expect(journal.append(write())).rejects.toMatchObject({ reason: 'cannot-open' });
    expect(journal.pending(10)).toEqual([]);
    expect(journal.hasPending()).toBe(false);
    rmdirSync(path.join(dir, 'journal.db'));
    await vi.waitFor(() => expect(journal.writable()).toBe(true), { timeout: 2_000, interval: 5 });
    const receipt = await journal.append(write());
    // Written to the file itself, not to the stand-in.
    expect(statSync(journal.file).isFile()).toBe(true);
    const file = new SqliteDatabase(journal.file, { readonly: true });
    try {
      expect(file.prepare('select receipt from entries').pluck().all()).toEqual([receipt]);
    } finally {
      file.close();
    }
  });
});
