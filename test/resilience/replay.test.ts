import { spawnSync } from 'node:child_process';
import { sql } from 'kysely';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerStudent, updateStudent } from '../../src/modules/students/students.commands.js';
import { pruneJournal, pruneKeys } from '../../src/resilience/prune.js';
import { REPLAY_BATCH_SIZE, REPLAY_LEASE, REPLAY_MAX_UNFINISHED_ATTEMPTS } from '../../src/resilience/replayer.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { holdTheCommit, loseTheCommitAnswer } from '../support/lost-commit.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { ENGINES } from '../support/test-database.js';

describe.each(ENGINES)('journal replay on %s', (engine) => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine });
    tenant = await createTenantWithUsers(t, 'replay');
  });
  afterAll(() => t.close());

  function journaled(name: string, key: string) {
    return {
      tenantId: tenant.id,
      userId: tenant.userIds.staff,
      idempotencyKey: key,
      fingerprint: '',
      command: registerStudent.name,
      commandVersion: registerStudent.version,
      payload: { name, birthDate: '1990-01-01', plan: 'Replay' },
      requestId: `req-${key}`,
    };
  }

  async function studentsNamed(name: string): Promise<number> {
    return (await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', tenant.id).where('name', '=', name).execute()).length;
  }

  it('a crash after the database COMMIT and before the journal mark: replay finds the key, one row', async () => {
    const entry = journaled('Committed Then Crashed', 'auto:crash-1');
    const receipt = await t.app.journal.append(entry);
    // What the replayer did before the process died: applied it in the database...
    await t.app.dispatcher.dispatch(registerStudent, entry.payload, { ...entry }, { replay: true });
    // ...but never marked the journal. The next replay:
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(await studentsNamed('Committed Then Crashed')).toBe(1);
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'duplicate', statusCode: 201 });
  });

  it.each(['committed', 'rolled-back'] as const)('a write whose COMMIT answer was lost (%s) is journaled, then saved exactly once', async (what) => {
    const name = `Lost Commit ${what}`;
    loseTheCommitAnswer(t.app.db, what);
    const response = await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '1999-09-09', plan: 'Noite' } });
    expect(response.statusCode).toBe(202);
    const receipt = response.json().receipt as string;
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'pending', appliedIfAudit: expect.any(String) });
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(await studentsNamed(name)).toBe(1);
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: what === 'committed' ? 'duplicate' : 'applied' });
    const answer = await call(t, tenant, { method: 'GET', url: `/api/receipts/${receipt}`, as: 'staff' });
    expect(answer.json()).toMatchObject({ status: 'applied', result: { status: 201, body: { name } } });
  });

  it.runIf(engine === 'postgres')(
    'a lost COMMIT still under way when replay runs (a stalled server resuming): saved exactly once',
    async () => {
      const name = 'Commit Still Under Way';
      const held = holdTheCommit(t.app.db);
      const response = await call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name, birthDate: '1999-09-09', plan: 'Noite' } });
      expect(response.statusCode).toBe(202);
      const receipt = response.json().receipt as string;
      // Replay starts while the first attempt has not committed yet: it waits on that attempt's rows...
      const draining = t.app.replayer.drain();
      await new Promise((resolve) => setTimeout(resolve, 300));
      // ...which then commits.
      await held.commit();
      expect(await draining).toBe('drained');
      expect(await studentsNamed(name)).toBe(1);
      expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'duplicate' });
    },
    30_000,
  );

  it('a batch with a failing entry in the middle: the ones before and after apply once each, in order; that one is dead', async () => {
    const receipts = [];
    for (const name of ['Batch A', 'Batch B']) receipts.push(await t.app.journal.append(journaled(name, `auto:${name}`)));
    const missing = '01900000-0000-7000-8000-000000000000';
    const bad = await t.app.journal.append({ ...journaled('x', 'auto:batch-bad'), command: updateStudent.name, payload: { id: missing, plan: 'Nenhum' } });
    receipts.push(await t.app.journal.append(journaled('Batch D', 'auto:Batch D')));
    expect(await t.app.replayer.drain()).toBe('drained');
    for (const name of ['Batch A', 'Batch B', 'Batch D']) expect(await studentsNamed(name)).toBe(1);
    for (const receipt of receipts) expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'applied', statusCode: 201 });
    expect(t.app.journal.byReceipt(tenant.id, bad)).toMatchObject({ status: 'dead', statusCode: 404 });
    const created = await t.app.db.kysely
      .selectFrom('students')
      .select(['name', 'created_at'])
      .where('tenant_id', '=', tenant.id)
      .where('name', 'like', 'Batch %')
      .orderBy('id')
      .execute();
    expect(created.map((r) => r.name)).toEqual(['Batch A', 'Batch B', 'Batch D']);
    const audits = await t.app.db.kysely
      .selectFrom('audit_log')
      .select('request_id')
      .where('tenant_id', '=', tenant.id)
      .where('request_id', 'like', 'req-auto:Batch%')
      .execute();
    expect(audits).toHaveLength(3);
  });

  it('more entries than a batch, one failing in the second: each batch read ahead and marked during the next, all applied once, in order', async () => {
    const count = Math.round(REPLAY_BATCH_SIZE * 2.5);
    const badAt = REPLAY_BATCH_SIZE + 7;
    const missing = '01900000-0000-7000-8000-000000000001';
    const receipts = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        t.app.journal.append(
          n === badAt
            ? { ...journaled('x', `auto:many-${n}`), command: updateStudent.name, payload: { id: missing, plan: 'Nenhum' } }
            : journaled(`Many ${String(n).padStart(5, '0')}`, `auto:many-${n}`),
        ),
      ),
    );
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(t.app.journal.stats().pending).toBe(0);
    const statuses = receipts.map((r) => t.app.journal.byReceipt(tenant.id, r)?.status);
    expect(statuses.filter((s) => s === 'applied')).toHaveLength(count - 1);
    const unfinished = receipts.map((r) => t.app.journal.byReceipt(tenant.id, r)).filter((e) => e && e.attemptsStarted !== e.attemptsFinished);
    expect(unfinished).toEqual([]);
    expect(statuses[badAt]).toBe('dead');
    const rows = await t.app.db.kysely
      .selectFrom('students')
      .select('name')
      .where('tenant_id', '=', tenant.id)
      .where('name', 'like', 'Many %')
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.name)).toEqual(Array.from({ length: count }, (_, n) => `Many ${String(n).padStart(5, '0')}`).filter((_, n) => n !== badAt));
  });

  it("a journal that fails to take a batch's marks once: the marks are written at the next try; each entry applied once, none counted unfinished", async () => {
    const count = REPLAY_BATCH_SIZE + 2;
    const receipts = await Promise.all(Array.from({ length: count }, (_, n) => t.app.journal.append(journaled(`Marks ${n}`, `auto:marks-${n}`))));
    const journal = t.app.journal;
    const finishAttempts = journal.finishAttempts.bind(journal);
    let failed = false;
    journal.finishAttempts = (outcomes) => {
      if (!failed && outcomes.length === REPLAY_BATCH_SIZE && outcomes[0]?.status === 'applied') {
        failed = true;
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      }
      finishAttempts(outcomes);
    };
    try {
      expect(await t.app.replayer.drain()).toBe('drained');
    } finally {
      journal.finishAttempts = finishAttempts;
    }
    expect(failed).toBe(true);
    const entries = receipts.map((r) => t.app.journal.byReceipt(tenant.id, r));
    expect(entries.filter((e) => e?.status === 'applied' && e.attemptsStarted === 1 && e.attemptsFinished === 1)).toHaveLength(count);
    const rows = await t.app.db.kysely.selectFrom('students').select('id').where('tenant_id', '=', tenant.id).where('name', 'like', 'Marks %').execute();
    expect(rows).toHaveLength(count);
  });

  it('an audit INSERT the database refuses at once: the batch rolls back, the entries are parked one by one, the process stays up', async () => {
    if (engine === 'sqlite')
      await sql`create trigger refuse_audit before insert on audit_log begin select raise(abort, 'audit refused'); end`.execute(t.app.db.kysely);
    else {
      await sql`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit refused' using errcode = '23514'; end $$`.execute(
        t.app.db.kysely,
      );
      await sql`create trigger refuse_audit before insert on audit_log for each statement execute function refuse_audit()`.execute(t.app.db.kysely);
    }
    try {
      const receipts = [];
      for (const n of [1, 2, 3]) receipts.push(await t.app.journal.append(journaled(`Refused ${n}`, `auto:refused-${n}`)));
      expect(await t.app.replayer.drain()).toBe('drained');
      for (const receipt of receipts) expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'dead' });
      expect(await studentsNamed('Refused 1')).toBe(0);
    } finally {
      if (engine === 'sqlite') await sql`drop trigger refuse_audit`.execute(t.app.db.kysely);
      else await sql`drop trigger refuse_audit on audit_log; drop function refuse_audit()`.execute(t.app.db.kysely);
    }
  });

  it('a run of registrations the bulk insert cannot take (one CPF taken meanwhile): the others apply once, in order; that one is dead', async () => {
    const taken = '529.982.247-25';
    await t.app.dispatcher.dispatch(
      registerStudent,
      { name: 'Holder', cpf: taken, birthDate: '1980-01-01', plan: 'x' },
      { tenantId: tenant.id, userId: null, requestId: 'cpf-holder', fingerprint: '' },
    );
    const good = [];
    good.push(await t.app.journal.append(journaled('Bulk A', 'auto:bulk-a')));
    const bad = await t.app.journal.append({
      ...journaled('Bulk B', 'auto:bulk-b'),
      payload: { name: 'Bulk B', cpf: taken, birthDate: '1990-01-01', plan: 'Replay' },
    });
    good.push(await t.app.journal.append(journaled('Bulk C', 'auto:bulk-c')));
    expect(await t.app.replayer.drain()).toBe('drained');
    for (const name of ['Bulk A', 'Bulk C']) expect(await studentsNamed(name)).toBe(1);
    expect(await studentsNamed('Bulk B')).toBe(0);
    for (const receipt of good) expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'applied', statusCode: 201 });
    expect(t.app.journal.byReceipt(tenant.id, bad)).toMatchObject({ status: 'dead', statusCode: 409, lastErrorCode: 'ERR_STUDENT_CPF_TAKEN' });
  });

  it('a batch where one key is already stored (saved, its mark lost): that one answers from its key, the others apply once', async () => {
    const entries = ['Keyed A', 'Keyed B', 'Keyed C'].map((name) => journaled(name, `auto:${name}`));
    const receipts = [];
    for (const entry of entries) receipts.push(await t.app.journal.append(entry));
    const saved = entries[1] as (typeof entries)[number];
    await t.app.dispatcher.dispatch(registerStudent, saved.payload, { ...saved }, { replay: true });
    expect(await t.app.replayer.drain()).toBe('drained');
    for (const name of ['Keyed A', 'Keyed B', 'Keyed C']) expect(await studentsNamed(name)).toBe(1);
    expect(receipts.map((r) => t.app.journal.byReceipt(tenant.id, r)?.status)).toEqual(['applied', 'duplicate', 'applied']);
  });

  it('a batch whose keys are all stored (saved, marks lost): every entry a duplicate, attempted once', async () => {
    const entries = ['All Saved A', 'All Saved B'].map((name) => journaled(name, `auto:${name}`));
    const receipts = [];
    for (const entry of entries) receipts.push(await t.app.journal.append(entry));
    for (const entry of entries) await t.app.dispatcher.dispatch(registerStudent, entry.payload, { ...entry }, { replay: true });
    expect(await t.app.replayer.drain()).toBe('drained');
    for (const entry of entries) expect(await studentsNamed(entry.payload.name)).toBe(1);
    expect(receipts.map((r) => t.app.journal.byReceipt(tenant.id, r))).toEqual(
      [1, 2].map(() => expect.objectContaining({ status: 'duplicate', attemptsStarted: 1, attemptsFinished: 1 })),
    );
  });

  it('a key expired while its entry waited still counts at replay, and pruning keeps it while an entry is pending', async () => {
    const entry = journaled('Expired Key', 'auto:expired-1');
    const receipt = await t.app.journal.append(entry);
    await t.app.dispatcher.dispatch(registerStudent, entry.payload, { ...entry }, { replay: true });
    // The key was written (the mark was lost), then the server stayed down past the key's life.
    await t.app.db.kysely
      .updateTable('idempotency_keys')
      .set({ expires_at: '2000-01-01T00:00:00.000Z', created_at: '2000-01-01T00:00:00.000Z' })
      .where('key', '=', 'auto:expired-1')
      .execute();
    const keyOf = () =>
      t.app.db.kysely.selectFrom('idempotency_keys').select('key').where('tenant_id', '=', tenant.id).where('key', '=', 'auto:expired-1').executeTakeFirst();
    // pending entries accepted before the key was written keep it...
    await t.app.db.kysely.updateTable('idempotency_keys').set({ created_at: new Date().toISOString() }).where('key', '=', 'auto:expired-1').execute();
    expect(await pruneKeys(t.app.journal, t.app.dispatcher)).toBe(0);
    expect(await keyOf()).toBeDefined();
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(await studentsNamed('Expired Key')).toBe(1);
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'duplicate' });
    // ...once nothing is pending, the expired key goes; the applied entry stays for its retention
    expect(pruneJournal(t.app.journal, 72)).toBe(0);
    expect(await pruneKeys(t.app.journal, t.app.dispatcher)).toBe(1);
    expect(await keyOf()).toBeUndefined();
    expect(pruneJournal(t.app.journal, 0, new Date(Date.now() + 1_000))).toBeGreaterThan(0);
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toBeUndefined();
  });

  it('waits while another process holds the replay lease', async () => {
    const receipt = await t.app.journal.append(journaled('Leased', 'auto:lease-1'));
    expect(t.app.journal.acquireLease(REPLAY_LEASE, 'another-process', 60_000)).toBe(true);
    expect(await t.app.replayer.drain()).toBe('busy');
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'pending' });
    t.app.journal.releaseLease(REPLAY_LEASE, 'another-process');
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(await studentsNamed('Leased')).toBe(1);
  });

  it('takes over at once a lease whose holder on this machine is gone (killed with -9)', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await t.app.journal.append(journaled('Orphan Lease', 'auto:orphan-1'));
    expect(t.app.journal.acquireLease(REPLAY_LEASE, `${os.hostname()}|${dead}|x`, 60_000)).toBe(true);
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(await studentsNamed('Orphan Lease')).toBe(1);
  });

  it(`an entry that keeps stopping the process is parked as dead after ${REPLAY_MAX_UNFINISHED_ATTEMPTS} unfinished attempts`, async () => {
    const receipt = await t.app.journal.append(journaled('Poison', 'auto:poison-1'));
    const [entry] = t.app.journal.pending(1);
    for (let i = 0; i < REPLAY_MAX_UNFINISHED_ATTEMPTS; i++) t.app.journal.startAttempt(entry!.seq);
    const behind = await t.app.journal.append(journaled('Behind Poison', 'auto:poison-2'));
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'dead', lastError: expect.stringMatching(/never finished/) });
    expect(await studentsNamed('Poison')).toBe(0);
    expect(t.app.journal.byReceipt(tenant.id, behind)).toMatchObject({ status: 'applied' });
    expect(await studentsNamed('Behind Poison')).toBe(1);
  });

  it('the same key with another body, found only at replay, is a dead letter', async () => {
    const first = journaled('Key Owner', 'client-key-1');
    await t.app.dispatcher.dispatch(registerStudent, first.payload, { ...first, fingerprint: 'fp-a' });
    const receipt = await t.app.journal.append({ ...journaled('Key Thief', 'client-key-1'), fingerprint: 'fp-b' });
    expect(await t.app.replayer.drain()).toBe('drained');
    expect(t.app.journal.byReceipt(tenant.id, receipt)).toMatchObject({ status: 'dead', response: { code: 'ERR_IDEMPOTENCY_KEY_REUSED', status: 422 } });
    expect(await studentsNamed('Key Thief')).toBe(0);
  });
});
