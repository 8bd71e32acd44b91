import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api.js';
import { createTenantWithUsers, type TestTenant } from '../../../test/support/auth.js';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { ENGINES } from '../../../test/support/test-database.js';
import type { AuthTables } from './auth.queries.js';

describe.each(ENGINES)('a tenant keeps an active owner on %s', (engine) => {
  // Two apps on one database and data directory: two workers of one installation.
  let first: TestApp;
  let second: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    first = await buildTestApp({ engine });
    second = await buildTestApp({
      engine,
      dataDir: first.config.paths.dataDir,
      ...(first.config.databaseUrl ? { databaseUrl: first.config.databaseUrl } : {}),
    });
    a = await createTenantWithUsers(first, 'owners');
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  const activeOwners = async () => {
    const db = first.app.db.kysely as Kysely<AuthTables>;
    const rows = await db.selectFrom('users').select('id').where('tenant_id', '=', a.id).where('role', '=', 'owner').where('active', '=', 1).execute();
    return rows.map((r) => r.id);
  };

  it('two owners demoting (or disabling) each other at once on two workers: one change wins, the other gets 409 ERR_TENANT_LAST_OWNER or 403, never zero owners', async () => {
    const [one, two] = [a.userIds.owner, a.userIds.admin];
    // A deactivation revokes the user's tokens: each round signs them afresh with the current epoch.
    const as = async (userId: string) => {
      const db = first.app.db.kysely as Kysely<AuthTables>;
      const { token_epoch: ep } = await db.selectFrom('users').select('token_epoch').where('id', '=', userId).executeTakeFirstOrThrow();
      const { token } = first.app.identity.tokens.sign({ sub: userId, tid: a.id, role: 'owner', ep });
      return { authorization: `Bearer ${token}` };
    };
    expect((await call(first, a, { method: 'PATCH', url: `/api/auth/users/${two}`, as: 'owner', body: { role: 'owner' } })).statusCode).toBe(200);
    for (let round = 0; round < 8; round++) {
      expect((await activeOwners()).sort()).toEqual([one, two].sort());
      const change = round % 2 === 0 ? { role: 'admin' } : { active: false };
      const [x, y] = await Promise.all([
        call(first, a, { method: 'PATCH', url: `/api/auth/users/${two}`, as: 'anonymous', headers: await as(one), body: change }),
        call(second, a, { method: 'PATCH', url: `/api/auth/users/${one}`, as: 'anonymous', headers: await as(two), body: change }),
      ]);
      const statuses = [x.statusCode, y.statusCode].sort();
      expect(statuses[0]).toBe(200);
      expect([403, 409]).toContain(statuses[1]);
      const loser = x.statusCode === 200 ? y : x;
      expect(['ERR_TENANT_LAST_OWNER', 'ERR_USER_OWNER_ONLY']).toContain(loser.json().code);
      const owners = await activeOwners();
      expect(owners).toHaveLength(1);
      // the one left makes the other owner again, for the next round
      const [left] = owners as [string];
      const other = left === one ? two : one;
      const restored = await call(first, a, {
        method: 'PATCH',
        url: `/api/auth/users/${other}`,
        as: 'anonymous',
        headers: await as(left),
        body: { role: 'owner', active: true },
      });
      expect(restored.statusCode).toBe(200);
    }
  });
});
