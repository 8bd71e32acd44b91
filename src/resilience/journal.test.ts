import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, JournalUnavailableError, type JournalAppend } from './journal.js';

const opened: Journal[] = [];
afterEach(() => {
  for (const journal of opened.splice(0)) journal.close();
});

function open(dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-')), maxMegabytes = 64): Journal {
  const journal = new Journal(dir, { maxMegabytes });
  opened.push(journal);
  return journal;
}

function entry(n: number, payload: unknown = { n }): JournalAppend {
  return { tenantId: 't1', userId: 'u1', idempotencyKey: `auto:${n}`, fingerprint: '', command: 'test.write', commandVersion: 1, payload, requestId: `r${n}` };
}

describe('Journal', () => {
  it('group commit: 200 concurrent appends share a few transactions, all acknowledged, kept in order', async () => {
    const journal = open();
    const receipts = await Promise.all(Array.from({ length: 200 }, (_, n) => journal.append(entry(n))));
    expect(new Set(receipts).size).toBe(200);
    const stats = journal.stats();
    expect(stats.pending).toBe(200);
    expect(stats.appendedTotal).toBe(200);
    expect(stats.groupCommits).toBeLessThanOrEqual(2);
    expect(journal.pending(300).map((e) => (e.payload as { n: number }).n)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(journal.hasPending()).toBe(true);
  });

  it('an acknowledged entry survives closing and reopening the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-'));
    const first = new Journal(dir, { maxMegabytes: 64 });
    const receipt = await first.append(entry(1));
    first.close();
    const again = open(dir);
    expect(again.hasPending()).toBe(true);
    expect(again.byReceipt('t1', receipt)).toMatchObject({ receipt, status: 'pending', command: 'test.write', payload: { n: 1 } });
    expect(again.byReceipt('another-tenant', receipt)).toBeUndefined();
  });

  it('marks attempts and outcomes; a finished entry no longer counts as pending', async () => {
    const journal = open();
    await journal.append(entry(1));
    const [head] = journal.pending(1);
    journal.startAttempt(head!.seq);
    journal.finishAttempt(head!.seq, { status: 'applied', statusCode: 201, response: { id: 'x' } });
    expect(journal.hasPending()).toBe(false);
    expect(journal.byReceipt('t1', head!.receipt)).toMatchObject({ status: 'applied', attemptsStarted: 1, attemptsFinished: 1, statusCode: 201, response: { id: 'x' } });
  });

  it('a write that fails is never acknowledged, and the journal then refuses writes', async () => {
    const journal = open();
    // A payload that cannot be serialized makes the batch's transaction fail.
    const failed = journal.append(entry(1, { huge: 10n }));
    const sameBatch = journal.append(entry(2));
    await expect(failed).rejects.toBeInstanceOf(JournalUnavailableError);
    await expect(sameBatch).rejects.toBeInstanceOf(JournalUnavailableError);
    await expect(journal.append(entry(3))).rejects.toThrow(/takes no more until restarted/);
    expect(journal.writable()).toBe(false);
    expect(journal.stats().pending).toBe(0);
  });

  it('past JOURNAL_MAX_MB it refuses writes instead of growing', async () => {
    const journal = open(undefined, 1);
    const big = 'x'.repeat(300 * 1024);
    let refused: unknown;
    for (let n = 0; n < 10 && !refused; n++) await journal.append(entry(n, { big })).catch((error: unknown) => (refused = error));
    expect(refused).toBeInstanceOf(JournalUnavailableError);
    expect(String((refused as Error).message)).toMatch(/journal is full/);
    expect(journal.writable()).toBe(false);
  });

  it('two processes sharing the file: each sees the other\'s pending writes, and one lease holder at a time', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-'));
    const a = open(dir);
    const b = open(dir);
    expect(b.hasPending()).toBe(false);
    await a.append(entry(1));
    // b never appended, yet its writes must now queue behind a's entry. NB: b looked just before
    // a's commit; only a's receipt waiting JOURNAL_PEEK_INTERVAL_MS makes b's next look a fresh one.
    expect(b.hasPending()).toBe(true);
    const [head] = b.pending(1);
    b.finishAttempt(head!.seq, { status: 'applied', statusCode: 201, response: {} });
    expect(a.hasPending()).toBe(false);

    expect(a.acquireLease('replay', 'a', 10_000)).toBe(true);
    expect(b.acquireLease('replay', 'b', 10_000)).toBe(false);
    expect(a.acquireLease('replay', 'a', 10_000)).toBe(true);
    a.releaseLease('replay', 'a');
    expect(b.acquireLease('replay', 'b', 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // an expired lease (its holder died) is taken over
    expect(a.acquireLease('replay', 'a', 10_000)).toBe(true);
  });

  it("another process's entry found by its key makes the next hasPending look again (its retry is answered 202 at once)", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-'));
    const a = open(dir);
    const b = open(dir);
    const appended = a.append(entry(7));
    // b looks just before a's group commit (it runs on the next turn of the event loop) ...
    expect(b.hasPending()).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    // ... then finds a's entry on disk by its key (a's receipt is still held back) ...
    expect(b.byKey('t1', 'auto:7')?.status).toBe('pending');
    // ... and the writes b takes next queue behind it, though b looked less than 5 ms ago.
    expect(b.hasPending()).toBe(true);
    await appended;
  });

  it('prunes applied entries past the cut-off, never pending, dead or discarded ones', async () => {
    const journal = open();
    await Promise.all([1, 2, 3, 4, 5].map((n) => journal.append(entry(n))));
    const [applied, duplicate, dead, discarded] = journal.pending(4);
    journal.finishAttempt(applied!.seq, { status: 'applied', statusCode: 201, response: {} });
    journal.finishAttempt(duplicate!.seq, { status: 'duplicate', statusCode: 201, response: {} });
    journal.finishAttempt(dead!.seq, { status: 'dead', error: 'bad' });
    journal.finishAttempt(discarded!.seq, { status: 'dead', error: 'bad' });
    journal.discardDead('t1', discarded!.receipt, 'u1', 'not needed');
    expect(journal.pruneApplied(new Date(Date.now() - 60_000).toISOString())).toBe(0);
    expect(journal.pruneApplied(new Date(Date.now() + 1_000).toISOString())).toBe(2);
    expect(journal.byReceipt('t1', applied!.receipt)).toBeUndefined();
    expect(journal.byReceipt('t1', dead!.receipt)?.status).toBe('dead');
    expect(journal.byReceipt('t1', discarded!.receipt)?.status).toBe('discarded');
    expect(journal.stats().pending).toBe(1);
  });
});
