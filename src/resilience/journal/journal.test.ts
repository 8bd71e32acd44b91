import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CAN_MOUNT, mountSmallDisk, unmountSmallDisk } from '../../../test/support/small-disk.js';
import type { JournalAppend } from './entry.js';
import { JournalTenantFullError, JournalUnavailableError } from './journal-errors.js';
import { JOURNAL_REPROBE_INTERVAL_MS } from './journal-faults.js';
import { Journal } from './journal.js';
import { recordingLog } from '../../../test/support/recording-log.js';

const opened: Journal[] = [];
afterEach(() => {
  for (const journal of opened.splice(0)) journal.close();
});

function open(dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-')), maxMegabytes = 64, tenantMaxMegabytes = maxMegabytes / 4): Journal {
  const journal = new Journal(dir, { maxMegabytes, tenantMaxMegabytes });
  opened.push(journal);
  return journal;
}

/** A broken journal's test-write interval in the tests that wait for it: a tenth of the real one, so they wait a tenth as long. */
const REPROBE_MS = JOURNAL_REPROBE_INTERVAL_MS / 10;
/** The same on a full disk, where the bound on mending after space is freed (two intervals and 500 ms) must hold on a busy machine too. */
const DISK_REPROBE_MS = JOURNAL_REPROBE_INTERVAL_MS / 4;

function entry(n: number, payload: unknown = { n }): JournalAppend {
  return { tenantId: 't1', userId: 'u1', idempotencyKey: `auto:${n}`, fingerprint: '', command: 'test.write', commandVersion: 1, payload, requestId: `r${n}` };
}

describe('Journal', () => {
  it('tries a test write at most once a second when no interval is given, as the operations guide says', () => {
    expect(JOURNAL_REPROBE_INTERVAL_MS).toBe(1_000);
  });

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
    const first = new Journal(dir, { maxMegabytes: 64, tenantMaxMegabytes: 16 });
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
    expect(journal.byReceipt('t1', head!.receipt)).toMatchObject({
      status: 'applied',
      attemptsStarted: 1,
      attemptsFinished: 1,
      statusCode: 201,
      response: { id: 'x' },
    });
  });

  it('a write that fails is never acknowledged, and the journal then refuses writes until a test write works', async () => {
    const journal = new Journal(
      mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-')),
      { maxMegabytes: 64, tenantMaxMegabytes: 16 },
      { reprobeIntervalMs: REPROBE_MS },
    );
    opened.push(journal);
    // A row the file refuses (a NOT NULL column left empty) makes the batch's transaction fail.
    const failed = journal.append({ ...entry(1), command: null as unknown as string });
    const sameBatch = journal.append(entry(2));
    await expect(failed).rejects.toBeInstanceOf(JournalUnavailableError);
    await expect(sameBatch).rejects.toBeInstanceOf(JournalUnavailableError);
    await expect(journal.append(entry(3))).rejects.toMatchObject({
      reason: 'write-failed',
      message: expect.stringMatching(/could not write its file .*journal\.db \(SQLITE_CONSTRAINT_NOTNULL/),
    });
    expect(journal.writable()).toBe(false);
    expect(journal.stats().pending).toBe(0);
    // The file itself is fine: the next test write works and the journal takes writes again.
    await vi.waitFor(() => expect(journal.writable()).toBe(true), { timeout: 3 * REPROBE_MS, interval: 5 });
    await expect(journal.append(entry(4))).resolves.toEqual(expect.any(String));
  });

  it('a broken journal tries a test write at most once an interval, stays broken while it fails, mends by itself when it works; said once each in the log', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-'));
    const { log, lines } = recordingLog();
    const journal = new Journal(dir, { maxMegabytes: 64, tenantMaxMegabytes: 16 }, { log, reprobeIntervalMs: REPROBE_MS });
    opened.push(journal);
    let mended = 0;
    journal.onRecover(() => mended++);
    // Another connection makes every write of the file fail, the test write's included.
    const saboteur = new SqliteDatabase(path.join(dir, 'journal.db'));
    const refuse = (table: string) => `create trigger refuse_${table} before insert on ${table} begin select raise(abort, 'refused by the test'); end`;
    saboteur.exec(`${refuse('entries')}; ${refuse('leases')}`);
    await expect(journal.append(entry(1))).rejects.toBeInstanceOf(JournalUnavailableError);
    const since = journal.fault()?.since;
    expect(journal.fault()).toMatchObject({ reason: 'write-failed', detail: expect.stringMatching(/refused by the test/) });
    // Writes, health checks and the timer find it broken, however often they ask, for as long as the test write fails.
    for (let n = 0; n < 20; n++) {
      await expect(journal.append(entry(100 + n))).rejects.toBeInstanceOf(JournalUnavailableError);
      expect(journal.writable()).toBe(false);
    }
    await new Promise((resolve) => setTimeout(resolve, 2.5 * REPROBE_MS));
    expect(journal.writable()).toBe(false);
    expect(journal.fault()?.since).toBe(since);
    expect(journal.probe()).toMatchObject({ reason: 'write-failed' });
    expect(mended).toBe(0);

    saboteur.exec('drop trigger refuse_entries; drop trigger refuse_leases');
    saboteur.close();
    // Mended by the timer's test write, without a write or a health check asking.
    await vi.waitFor(() => expect(mended).toBe(1), { timeout: 3 * REPROBE_MS, interval: 5 });
    expect(journal.fault()).toBeUndefined();
    expect(journal.writable()).toBe(true);
    await expect(journal.append(entry(2))).resolves.toEqual(expect.any(String));
    expect(lines.filter((l) => l.msg.startsWith('journal cannot take writes'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'journal takes writes again')).toEqual([
      expect.objectContaining({ level: 'info', fields: expect.objectContaining({ reason: 'write-failed', brokenSince: since }) }),
    ]);
  }, 15_000);

  it('past JOURNAL_MAX_MB it refuses writes instead of growing', async () => {
    const journal = open(undefined, 1, 1);
    const big = 'x'.repeat(300 * 1024);
    let refused: unknown;
    for (let n = 0; n < 10 && !refused; n++) await journal.append(entry(n, { big })).catch((error: unknown) => (refused = error));
    expect(refused).toBeInstanceOf(JournalUnavailableError);
    expect(String((refused as Error).message)).toMatch(/journal is full/);
    // What still fits is taken.
    expect(journal.writable()).toBe(true);
    await expect(journal.append(entry(100))).resolves.toEqual(expect.any(String));
  });

  it("two processes sharing the file: each sees the other's pending writes, and one lease holder at a time", async () => {
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

  it('prunes applied and discarded entries past the cut-off, never pending or dead ones', async () => {
    const journal = open();
    await Promise.all([1, 2, 3, 4, 5].map((n) => journal.append(entry(n))));
    const [applied, duplicate, dead, discarded] = journal.pending(4);
    journal.finishAttempt(applied!.seq, { status: 'applied', statusCode: 201, response: {} });
    journal.finishAttempt(duplicate!.seq, { status: 'duplicate', statusCode: 201, response: {} });
    journal.finishAttempt(dead!.seq, { status: 'dead', error: 'bad' });
    journal.finishAttempt(discarded!.seq, { status: 'dead', error: 'bad' });
    journal.discardDead('t1', discarded!.receipt, 'u1', 'not needed');
    expect(journal.pruneFinished(new Date(Date.now() - 60_000).toISOString())).toBe(0);
    expect(journal.pruneFinished(new Date(Date.now() + 1_000).toISOString())).toBe(3);
    expect(journal.byReceipt('t1', applied!.receipt)).toBeUndefined();
    expect(journal.byReceipt('t1', discarded!.receipt)).toBeUndefined();
    expect(journal.byReceipt('t1', dead!.receipt)?.status).toBe('dead');
    expect(journal.stats().pending).toBe(1);
  });

  it("past a tenant's share (JOURNAL_TENANT_MAX_MB) only that tenant is refused; its share comes back as its entries are applied", async () => {
    const journal = open(undefined, 1);
    const big = 'x'.repeat(20 * 1024);
    const forTenant = (tenantId: string, n: number): JournalAppend => ({ ...entry(n, { big }), tenantId, idempotencyKey: `auto:${tenantId}:${n}` });
    let refused: unknown;
    let taken = 0;
    while (!refused && taken < 100) await journal.append(forTenant('b', taken++)).catch((error: unknown) => (refused = error));
    expect(refused).toBeInstanceOf(JournalTenantFullError);
    expect(String((refused as Error).message)).toMatch(/JOURNAL_TENANT_MAX_MB/);
    // 0.25 MB of 20 KiB entries: 12 fit.
    expect(taken - 1).toBe(12);
    await expect(journal.append(forTenant('a', 1))).resolves.toEqual(expect.any(String));
    expect(journal.writable()).toBe(true);
    const [first] = journal.pending(1);
    journal.finishAttempt(first!.seq, { status: 'applied', statusCode: 201, response: {} });
    await expect(journal.append(forTenant('b', 1000))).resolves.toEqual(expect.any(String));
    await expect(journal.append(forTenant('b', 1001))).rejects.toBeInstanceOf(JournalTenantFullError);
  });

  it('the shares are kept on disk: another process sharing the file counts the same, and a dead letter retried counts again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-'));
    const a = open(dir, 1);
    const b = open(dir, 1);
    const big = 'x'.repeat(20 * 1024);
    for (let n = 0; n < 12; n++) await a.append({ ...entry(n, { big }), tenantId: 'b' });
    await expect(b.append({ ...entry(99, { big }), tenantId: 'b' })).rejects.toBeInstanceOf(JournalTenantFullError);
    const [head] = a.pending(1);
    a.finishAttempt(head!.seq, { status: 'dead', error: 'bad' });
    await expect(b.append({ ...entry(100, { big }), tenantId: 'b' })).resolves.toEqual(expect.any(String));
    expect(await a.retryDead('b', head!.receipt, 'u1')).toBe(true);
    await expect(b.append({ ...entry(101, { big }), tenantId: 'b' })).rejects.toBeInstanceOf(JournalTenantFullError);
  });

  it('once drained, the file shrinks back: the WAL is cut and readiness does not depend on what the file once grew to', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-'));
    const journal = open(dir, 4, 4);
    const big = 'x'.repeat(16 * 1024);
    await Promise.all(Array.from({ length: 200 }, (_, n) => journal.append(entry(n, { big }))));
    expect(statSync(path.join(dir, 'journal.db-wal')).size).toBeGreaterThan(3 * 1024 * 1024);
    journal.finishAttempts(journal.pending(200).map((e) => ({ seq: e.seq, status: 'applied' as const, statusCode: 201, response: {} })));
    expect(statSync(path.join(dir, 'journal.db-wal')).size).toBe(0);
    expect(journal.writable()).toBe(true);
    journal.pruneFinished(new Date(Date.now() + 1_000).toISOString());
    expect(statSync(path.join(dir, 'journal.db')).size).toBeLessThan(256 * 1024);
  });

  it('its files (the database, its WAL and shared memory) are readable by their owner only, whatever the umask', async () => {
    const previous = process.umask(0o022);
    try {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-journal-'));
      const journal = open(dir);
      await journal.append(entry(1));
      for (const name of ['journal.db', 'journal.db-wal', 'journal.db-shm'])
        expect((statSync(path.join(dir, name)).mode & 0o777).toString(8), name).toBe('600');
    } finally {
      process.umask(previous);
    }
  });

  // A real full disk: a small tmpfs (mounting needs root, as in CI).
  it.skipIf(!CAN_MOUNT)(
    'on a full disk: refused as disk-full (no false receipt), test writes say so, and freeing space mends it within seconds',
    async () => {
      const mount = mountSmallDisk(2);
      const files: Journal[] = [];
      try {
        const ballast = path.join(mount, 'ballast');
        writeFileSync(ballast, Buffer.alloc(1280 * 1024));
        const dir = path.join(mount, 'data');
        const journal = new Journal(dir, { maxMegabytes: 64, tenantMaxMegabytes: 64 }, { reprobeIntervalMs: DISK_REPROBE_MS });
        files.push(journal);
        let mended = 0;
        journal.onRecover(() => mended++);
        const receipts: string[] = [];
        let refused: unknown;
        for (let n = 0; n < 1000 && !refused; n++)
          await journal.append(entry(n, { name: 'x'.repeat(200) })).then(
            (r) => receipts.push(r),
            (error: unknown) => (refused = error),
          );
        expect(refused).toMatchObject({ reason: 'disk-full', message: expect.stringMatching(/^the disk holding DATA_DIR \(.*\) is full; free space on it/) });
        expect(receipts.length).toBeGreaterThan(0);
        expect(journal.writable()).toBe(false);
        expect(journal.failure()).toMatch(/is full/);
        // A small write may still fit where the failed one began: the disk's free space decides.
        expect(journal.probe()).toMatchObject({ reason: 'disk-full', detail: expect.stringMatching(/MB free on it/) });
        await new Promise((resolve) => setTimeout(resolve, 1.5 * DISK_REPROBE_MS));
        expect(journal.writable()).toBe(false);
        // What `robusto journal status` does: another process opens the file and tries a write.
        const look = new Journal(dir, { maxMegabytes: 64, tenantMaxMegabytes: 64 });
        files.push(look);
        expect(look.probe()).toMatchObject({ reason: 'disk-full' });

        rmSync(ballast);
        const freedAt = performance.now();
        await vi.waitFor(() => expect(mended).toBe(1), { timeout: 3 * DISK_REPROBE_MS, interval: 10 });
        expect(performance.now() - freedAt).toBeLessThan(2 * DISK_REPROBE_MS + 500);
        expect(journal.writable()).toBe(true);
        expect(journal.acquireLease('replay', 'me', 10_000)).toBe(true);
        await expect(journal.append(entry(5000))).resolves.toEqual(expect.any(String));
        // Every receipt given is there, once.
        expect(journal.pending(5000).map((e) => e.receipt)).toEqual([...receipts, expect.any(String)]);
      } finally {
        for (const journal of files) journal.close();
        unmountSmallDisk(mount);
      }
    },
    20_000,
  );

  it('stores which payload fields are secret, for whoever shows the entry', async () => {
    const journal = open();
    const receipt = await journal.append({ ...entry(1, { email: 'a@b.c', passwordHash: 'h' }), secretFields: ['passwordHash'] });
    expect(journal.byReceipt('t1', receipt)).toMatchObject({ payload: { email: 'a@b.c', passwordHash: 'h' }, secretFields: ['passwordHash'] });
  });
});
