// An outage never widens anyone's rights. Before PostgreSQL is cut off (a fault proxy), one user
// is deactivated, one demoted to viewer and one has their password changed; each change is made
// twice, to a user this machine sees again afterwards (so it knows) and to one it does not. During
// the outage every one of them tries to register a student with their old token, between the
// owner's registrations. A user this machine knows about is refused at intake (401/403), also by
// a process started during the outage; the others' writes are journaled and then parked at replay
// as ERR_REPLAY_FORBIDDEN. None of theirs is applied; the owner's apply once each, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createUser, hashPassword } from '../../src/modules/auth/index.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

type Change = 'deactivated' | 'demoted' | 'password';
const CHANGES: Change[] = ['deactivated', 'demoted', 'password'];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Installation {
  database: TestDatabase;
  proxy: FaultProxy;
  dataDir: string;
  start(): Promise<TestApp>;
}

async function installation(): Promise<Installation> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const target = new URL(database.url);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanups.push(() => proxy.close());
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'robusto-rights-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return {
    database,
    proxy,
    dataDir,
    start: async () => {
      const t = await buildTestApp({ engine: 'postgres', databaseUrl: proxy.url(database.url), dataDir, env: { DB_CONNECT_TIMEOUT_MS: '1000' } });
      cleanups.push(() => t.close());
      return t;
    },
  };
}

describe('rights during a PostgreSQL outage', () => {
  it.each([
    ['without a restart', false],
    ['with robusto restarted during the outage', true],
  ])(
    "%s: the writes of users deactivated, demoted or signed out by a password change are never applied; the owner's apply once each, in order",
    async (_name, restart) => {
      const setup = await installation();
      let t = await setup.start();
      const tenant: TestTenant = await createTenantWithUsers(t, 'rights');
      const { tokens } = t.app.identity;
      // One user per change and per "seen again after it or not", each signed in before anything changes.
      const users: Array<{ change: Change; seen: boolean; id: string; token: string }> = [];
      for (const change of CHANGES) {
        for (const seen of [true, false]) {
          const meta = { tenantId: tenant.id, userId: null, requestId: 'test', fingerprint: 'test' };
          const role = change === 'demoted' ? 'admin' : 'staff';
          const created = await t.app.dispatcher.dispatch(
            createUser,
            {
              email: `${change}-${seen}@rights.test`,
              name: `${change} ${seen}`,
              role,
              passwordHash: await hashPassword('a-long-password'),
              actorRole: 'system',
            },
            meta,
          );
          const id = (created.body as { id: string }).id;
          users.push({ change, seen, id, token: tokens.sign({ sub: id, tid: tenant.id, role, ep: 0 }).token });
        }
      }
      const send = (token: string, name: string, method: 'GET' | 'POST' = 'POST'): Promise<LightMyRequestResponse> =>
        t.app.http.inject({
          method,
          url: '/api/students',
          headers: { authorization: `Bearer ${token}` },
          ...(method === 'POST' ? { payload: { name, birthDate: '2000-02-02', plan: 'Noite' } } : {}),
        });
      // Every one of them is known to this machine as they were: active, with their role.
      for (const u of users) expect((await send(u.token, '', 'GET')).statusCode).toBe(200);

      for (const u of users) {
        const body = u.change === 'deactivated' ? { active: false } : u.change === 'demoted' ? { role: 'viewer' } : { password: 'another-long-password' };
        const changed = await t.app.http.inject({ method: 'PATCH', url: `/api/auth/users/${u.id}`, headers: tenant.as('owner'), payload: body });
        expect(changed.statusCode).toBe(200);
        // Seen again: its next request teaches this machine the change.
        if (u.seen) expect((await send(u.token, '', 'GET')).statusCode).toBe(u.change === 'demoted' ? 200 : 401);
      }

      setup.proxy.cut();
      if (restart) {
        await t.close();
        t = await setup.start();
      }
      const ownerNames: string[] = [];
      const refusedAtIntake: string[] = [];
      const journaled = new Map<string, { receipt: string; u: (typeof users)[number] }>();
      let n = 0;
      const ownerWrites = async () => {
        const name = `Owner ${n++}`;
        const answer = await send(tenant.tokens.owner, name);
        expect(answer.statusCode, answer.body).toBe(202);
        ownerNames.push(name);
      };
      await ownerWrites();
      for (const u of users) {
        const name = `Refused ${u.change} ${u.seen}`;
        const answer = await send(u.token, name);
        if (u.seen) {
          expect(answer.statusCode, `${name}: ${answer.body}`).toBe(u.change === 'demoted' ? 403 : 401);
          refusedAtIntake.push(name);
        } else {
          expect(answer.statusCode, `${name}: ${answer.body}`).toBe(202);
          journaled.set(name, { receipt: answer.json().receipt, u });
        }
        await ownerWrites();
      }
      expect(refusedAtIntake).toHaveLength(3);

      setup.proxy.pass();
      // As `robusto serve` does once the database answers: a process started during the outage
      // applies its migrations first; until then replay waits.
      await vi.waitFor(async () => expect(await t.app.migrate()).toBe(true), { timeout: 15_000, interval: 200 });
      t.app.replayer.start();
      await vi.waitFor(() => expect(t.app.journal.stats().pending).toBe(0), { timeout: 30_000, interval: 100 });

      const rows = await t.app.db.kysely.selectFrom('students').select('name').where('tenant_id', '=', tenant.id).orderBy('id').execute();
      expect(rows.map((r) => r.name)).toEqual(ownerNames);
      const reasons: Record<Change, string> = { deactivated: 'deactivated', demoted: 'role', password: 'token-revoked' };
      for (const [name, { receipt, u }] of journaled) {
        const entry = t.app.journal.byReceipt(tenant.id, receipt);
        expect(entry, name).toMatchObject({
          status: 'dead',
          lastErrorCode: 'ERR_REPLAY_FORBIDDEN',
          response: { status: 403, code: 'ERR_REPLAY_FORBIDDEN', permission: 'write', reason: reasons[u.change], userId: u.id },
        });
        expect(entry?.lastError).toContain(`${u.change}-false@rights.test`);
        // A retry is refused while the author still lacks the right; a discard works.
        const retry = await t.app.http.inject({ method: 'POST', url: `/api/system/dead-letters/${receipt}/retry`, headers: tenant.as('owner') });
        expect(retry.statusCode).toBe(409);
        expect(retry.json()).toMatchObject({ code: 'ERR_DEAD_LETTER_AUTHOR_LACKS_RIGHT', status: 409, reason: reasons[u.change], userId: u.id });
        expect(retry.json().detail).toMatch(/Discard it, or restore/);
        const discard = await t.app.http.inject({
          method: 'POST',
          url: `/api/system/dead-letters/${receipt}/discard`,
          headers: tenant.as('owner'),
          payload: { reason: 'sent by a user who lost the right' },
        });
        expect(discard.statusCode).toBe(200);
      }
      const audits = await t.app.db.kysely
        .selectFrom('audit_log')
        .select('user_id')
        .where('tenant_id', '=', tenant.id)
        .where('action', '=', 'students.register')
        .execute();
      expect(audits.map((a) => a.user_id)).toEqual(ownerNames.map(() => tenant.userIds.owner));
    },
    90_000,
  );
});
