// Lossless writes through a real outage: PostgreSQL cut off by a TCP proxy while writes keep
// coming. Every write is answered 201 or 202, never 5xx; once the database is back the journal
// drains, and the database holds each acknowledged write exactly once, in order.
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { useAppBehindProxy } from '../support/behind-proxy.js';
import type { TestApp } from '../support/build-app.js';
import type { FaultProxy } from '../support/fault-proxy.js';

describe('writes during a PostgreSQL outage', () => {
  let proxy: FaultProxy;
  let t: TestApp;
  let tenant: TestTenant;
  useAppBehindProxy('outage', (app) => ({ t, proxy, tenant } = app), { replaying: true });

  async function drained(): Promise<void> {
    await vi.waitFor(() => expect(t.app.journal.stats().pending).toBe(0), { timeout: 30_000, interval: 100 });
  }

  it('50 concurrent registrations as the proxy is cut, 10 more after 10 s: all 201/202, then each exactly once', async () => {
    // warm the principal cache and the pool, as a running server would be
    expect((await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'staff' })).statusCode).toBe(200);
    proxy.cut();
    const names = Array.from({ length: 50 }, (_, i) => `Outage Student ${i}`);
    const responses = await Promise.all(
      names.map((name, i) =>
        call(t, tenant, {
          method: 'POST',
          url: '/api/students',
          as: 'staff',
          body: { name, birthDate: '2000-02-02', plan: 'Noite' },
          ...(i % 2 ? { headers: { 'idempotency-key': randomUUID() } } : {}),
        }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(
      statuses.every((s) => s === 201 || s === 202),
      statuses.join(','),
    ).toBe(true);
    const queued = responses.filter((r) => r.statusCode === 202);
    expect(queued.length).toBeGreaterThan(0);
    for (const r of queued) {
      expect(r.json()).toMatchObject({ receipt: expect.any(String), status: 'queued' });
      expect(r.headers.location).toBe(`/api/receipts/${r.json().receipt}`);
    }
    // The failures opened the circuit: reads answer 503 at once, receipts (from the journal) still answer.
    expect(t.app.circuit.status).not.toBe('closed');
    // Answered by the circuit (its own detail), not by a query that failed; well within the
    // connect timeout (1 s) a query would wait through a stalled network.
    const readStarted = performance.now();
    const read = await call(t, tenant, { method: 'GET', url: '/api/students?limit=1', as: 'staff' });
    expect(performance.now() - readStarted).toBeLessThan(1000);
    expect(read.statusCode).toBe(503);
    expect(read.json()).toMatchObject({
      code: 'ERR_DATABASE_UNAVAILABLE',
      detail: expect.stringMatching(/^The database is not answering; reads wait until it does/),
    });
    expect(read.headers['retry-after']).toBeDefined();
    const receipt = await call(t, tenant, { method: 'GET', url: `/api/receipts/${queued[0]?.json().receipt}`, as: 'viewer' });
    expect(receipt.json()).toMatchObject({ status: 'queued' });
    // 10 s of outage: the principal cache expires (the token still identifies its user), the
    // replayer keeps probing, and later writes still go to the journal
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    // ... and writes go to the journal without waiting for the database to time out, though
    // the principal cache has expired meanwhile.
    const triedTheDatabase = () => t.logs.filter((line) => line.msg === 'database unavailable; write journaled').length;
    const triedBefore = triedTheDatabase();
    const lateStarted = performance.now();
    const late = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(t, tenant, { method: 'POST', url: '/api/students', as: 'staff', body: { name: `Outage Late ${i}`, birthDate: '2000-02-02', plan: 'Noite' } }),
      ),
    );
    expect(triedTheDatabase(), 'no late write tried the database first').toBe(triedBefore);
    expect(performance.now() - lateStarted).toBeLessThan(1000);
    expect(late.map((r) => r.statusCode)).toEqual(Array(10).fill(202));
    names.push(...Array.from({ length: 10 }, (_, i) => `Outage Late ${i}`));
    // the journal keeps taking writes for as long as it holds anything
    const health = await t.app.http.inject('/health');
    expect(health.json().checks['journal:depth'][0]).toMatchObject({ status: 'warn', observedValue: { circuit: expect.stringMatching(/open/) } });
    expect((await t.app.http.inject('/health/ready')).statusCode).toBe(200);
    const admin = await call(t, tenant, { method: 'GET', url: '/api/system/journal', as: 'owner' });
    expect(admin.json()).toMatchObject({ depth: 60, circuit: expect.stringMatching(/open/), circuitOpenedAt: expect.any(String) });

    proxy.pass();
    await vi.waitFor(() => expect(t.app.circuit.status).toBe('closed'), { timeout: 15_000, interval: 100 });
    await drained();
    const rows = await t.app.db.kysely
      .selectFrom('students')
      .select('name')
      .where('tenant_id', '=', tenant.id)
      .where((eb) => eb.or([eb('name', 'like', 'Outage Student %'), eb('name', 'like', 'Outage Late %')]))
      .execute();
    expect(rows.map((r) => r.name).sort()).toEqual([...names].sort());
    for (const r of queued) {
      const receipt = await call(t, tenant, { method: 'GET', url: `/api/receipts/${r.json().receipt}`, as: 'viewer' });
      expect(receipt.json()).toMatchObject({ status: 'applied', result: { status: 201, body: { name: expect.stringMatching(/^Outage Student/) } } });
    }
    const audits = await t.app.db.kysely
      .selectFrom('audit_log')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'students.register')
      .execute();
    expect(audits).toHaveLength(60);
  }, 60_000);

  it('keeps order, answers a retry with its receipt, parks a bad write as dead and applies the ones behind it', async () => {
    const created = await call(t, tenant, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: 'Ordem' } });
    const id = created.json().id as string;
    proxy.cut();
    const key = randomUUID();
    const first = await call(t, tenant, {
      method: 'PATCH',
      url: `/api/customers/${id}`,
      body: { version: 1, notes: 'first' },
      headers: { 'idempotency-key': key },
    });
    const retry = await call(t, tenant, {
      method: 'PATCH',
      url: `/api/customers/${id}`,
      body: { version: 1, notes: 'first' },
      headers: { 'idempotency-key': key },
    });
    const reused = await call(t, tenant, {
      method: 'PATCH',
      url: `/api/customers/${id}`,
      body: { version: 1, notes: 'other' },
      headers: { 'idempotency-key': key },
    });
    const second = await call(t, tenant, { method: 'PATCH', url: `/api/customers/${id}`, body: { version: 2, notes: 'second' } });
    const cpf = '390.533.447-05';
    const okCpf = await call(t, tenant, { method: 'POST', url: '/api/students', body: { name: 'Cpf One', birthDate: '1999-09-09', plan: 'x', cpf } });
    const takenCpf = await call(t, tenant, { method: 'POST', url: '/api/students', body: { name: 'Cpf Two', birthDate: '1999-09-09', plan: 'x', cpf } });
    const behind = await call(t, tenant, { method: 'POST', url: '/api/students', body: { name: 'Behind The Dead One', birthDate: '1999-09-09', plan: 'x' } });
    expect([first, retry, second, okCpf, takenCpf, behind].map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(retry.json().receipt).toBe(first.json().receipt);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(reused.statusCode).toBe(422);

    proxy.pass();
    await drained();
    const customer = await call(t, tenant, { method: 'GET', url: `/api/customers/${id}` });
    expect(customer.json()).toMatchObject({ version: 3, notes: 'second' });
    const dead = await call(t, tenant, { method: 'GET', url: `/api/receipts/${takenCpf.json().receipt}` });
    expect(dead.json()).toMatchObject({ status: 'dead', problem: { code: 'ERR_STUDENT_CPF_TAKEN', status: 409 } });
    const names = (
      await t.app.db.kysely
        .selectFrom('students')
        .select('name')
        .where('tenant_id', '=', tenant.id)
        .where('name', 'in', ['Cpf One', 'Cpf Two', 'Behind The Dead One'])
        .execute()
    )
      .map((r) => r.name)
      .sort();
    expect(names).toEqual(['Behind The Dead One', 'Cpf One']);
    expect(t.app.journal.stats().dead).toBe(1);
    // another tenant cannot read the receipt
    const other = await createTenantWithUsers(t, 'outage-other');
    expect((await call(t, other, { method: 'GET', url: `/api/receipts/${first.json().receipt}` })).statusCode).toBe(404);
  }, 60_000);

  it('dead letters: admins list, discard (who and why kept) and retry them once the cause is fixed', async () => {
    const blocker = (
      await call(t, tenant, { method: 'POST', url: '/api/customers', body: { kind: 'company', name: 'Holder', document: '45.723.174/0001-10' } })
    ).json();
    proxy.cut();
    const clash = await call(t, tenant, { method: 'POST', url: '/api/customers', body: { kind: 'company', name: 'Clash', document: '45723174000110' } });
    const fine = await call(t, tenant, { method: 'POST', url: '/api/customers', body: { kind: 'person', name: 'Fine' } });
    const clashAgain = await call(t, tenant, {
      method: 'POST',
      url: '/api/customers',
      body: { kind: 'company', name: 'Clash Again', document: '45723174000110' },
    });
    expect([clash, fine, clashAgain].map((r) => r.statusCode)).toEqual([202, 202, 202]);
    proxy.pass();
    await drained();

    const list = await call(t, tenant, { method: 'GET', url: '/api/system/dead-letters', as: 'admin' });
    const receipts = (list.json().items as Array<{ receipt: string; problem: { code: string } }>).filter((d) =>
      [clash.json().receipt, clashAgain.json().receipt].includes(d.receipt),
    );
    expect(receipts.map((d) => d.problem.code)).toEqual(['ERR_CUSTOMER_DOCUMENT_TAKEN', 'ERR_CUSTOMER_DOCUMENT_TAKEN']);
    // A dead letter is read in its reader's language, as the problem was when it happened.
    const taken = { en: 'Another customer already has this CPF/CNPJ', ptBR: 'Outro cliente já tem este CPF/CNPJ' };
    const inPortuguese = await call(t, tenant, { method: 'GET', url: '/api/system/dead-letters', as: 'admin', headers: { 'accept-language': 'pt-BR' } });
    const clashInPortuguese = (inPortuguese.json().items as Array<{ receipt: string; lastError: string; problem: { detail: string } }>).find(
      (d) => d.receipt === clash.json().receipt,
    );
    expect(clashInPortuguese?.problem.detail).toContain(taken.ptBR);
    expect(clashInPortuguese?.lastError).toContain(taken.ptBR);
    expect(
      (list.json().items as Array<{ receipt: string; problem: { detail: string } }>).find((d) => d.receipt === clash.json().receipt)?.problem.detail,
    ).toContain(taken.en);
    const receiptInPortuguese = await call(t, tenant, { method: 'GET', url: `/api/receipts/${clash.json().receipt}`, headers: { 'accept-language': 'pt-BR' } });
    expect(receiptInPortuguese.json()).toMatchObject({
      status: 'dead',
      problem: { code: 'ERR_CUSTOMER_DOCUMENT_TAKEN', detail: expect.stringContaining(taken.ptBR) },
    });
    expect(receiptInPortuguese.json().problem).not.toHaveProperty('detailText');
    expect((await call(t, tenant, { method: 'GET', url: '/api/system/dead-letters', as: 'viewer' })).statusCode).toBe(403);
    const journal = await call(t, tenant, { method: 'GET', url: '/api/system/journal', as: 'admin' });
    expect(journal.json()).toMatchObject({ depth: 0, writable: true, lastReplay: { outcome: 'drained' } });

    const discarded = await call(t, tenant, {
      method: 'POST',
      url: `/api/system/dead-letters/${clashAgain.json().receipt}/discard`,
      as: 'admin',
      body: { reason: 'duplicate entry typed twice' },
    });
    expect(discarded.json()).toEqual({ receipt: clashAgain.json().receipt, status: 'discarded' });
    expect(t.app.journal.byReceipt(tenant.id, clashAgain.json().receipt)).toMatchObject({ status: 'discarded' });
    expect((await call(t, tenant, { method: 'GET', url: `/api/receipts/${clashAgain.json().receipt}` })).json().status).toBe('discarded');
    expect(
      (await call(t, tenant, { method: 'POST', url: `/api/system/dead-letters/${clashAgain.json().receipt}/discard`, as: 'admin', body: { reason: 'again' } }))
        .statusCode,
    ).toBe(404);

    const other = await createTenantWithUsers(t, 'outage-dl');
    expect((await call(t, other, { method: 'POST', url: `/api/system/dead-letters/${clash.json().receipt}/retry`, as: 'admin' })).statusCode).toBe(404);
    expect((await call(t, other, { method: 'GET', url: '/api/system/dead-letters', as: 'admin' })).json().items).toEqual([]);

    // fix the cause, then retry: applied
    expect((await call(t, tenant, { method: 'DELETE', url: `/api/customers/${blocker.id}`, as: 'admin' })).statusCode).toBe(200);
    const retried = await call(t, tenant, { method: 'POST', url: `/api/system/dead-letters/${clash.json().receipt}/retry`, as: 'admin' });
    expect(retried.json()).toEqual({ receipt: clash.json().receipt, status: 'queued' });
    await drained();
    expect((await call(t, tenant, { method: 'GET', url: `/api/receipts/${clash.json().receipt}` })).json()).toMatchObject({
      status: 'applied',
      result: { status: 201, body: { name: 'Clash' } },
    });
    const clashes = await t.app.db.kysely
      .selectFrom('customers')
      .select('name')
      .where('tenant_id', '=', tenant.id)
      .where('document', '=', '45723174000110')
      .execute();
    expect(clashes.map((c) => c.name)).toEqual(['Clash']);
  }, 60_000);
});
