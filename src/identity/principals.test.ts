import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Database } from '../db/database.js';
import { KnownPrincipals } from '../resilience/known-principals.js';
import type { Role } from '../shared/principal.js';
import { createPrincipalLoader, PRINCIPAL_CACHE_MAX, PRINCIPAL_CACHE_TTL_MS, type PrincipalLoader } from './principals.js';
import type { TokenClaims } from './tokens.js';

interface UserRow {
  id: string;
  tenant_id: string;
  role: Role;
  email: string;
  active: number;
  token_epoch: number;
  installation_admin: number;
}

const ADA: UserRow = { id: 'u-ada', tenant_id: 't1', role: 'admin', email: 'ada@example.com', active: 1, token_epoch: 2, installation_admin: 1 };
const claimsOf = (row: UserRow, overrides: Partial<TokenClaims> = {}): TokenClaims => ({
  sub: row.id,
  tid: row.tenant_id,
  role: row.role,
  ep: row.token_epoch,
  ...overrides,
});

describe('createPrincipalLoader', () => {
  let sqlite: SqliteDatabase.Database;
  let kysely: Kysely<{ users: UserRow }>;
  let known: KnownPrincipals;
  let loader: PrincipalLoader;
  let lookups: number;
  let failNext: Error | undefined;

  beforeEach(() => {
    sqlite = new SqliteDatabase(':memory:');
    sqlite.exec(
      'create table users (id text primary key, tenant_id text, role text, email text, active integer, token_epoch integer, installation_admin integer)',
    );
    kysely = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
    lookups = 0;
    failNext = undefined;
    const db = {
      get kysely() {
        lookups++;
        if (failNext) {
          const error = failNext;
          failNext = undefined;
          throw error;
        }
        return kysely;
      },
    } as unknown as Database;
    known = new KnownPrincipals(undefined);
    loader = createPrincipalLoader(db, known);
  });

  afterEach(async () => {
    vi.useRealTimers();
    known.close();
    await kysely.destroy();
  });

  const put = (row: UserRow) =>
    kysely
      .insertInto('users')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(row))
      .execute();

  it('takes role, email and the installation role from the database, not the token', async () => {
    await put(ADA);
    const principal = await loader.load(claimsOf(ADA, { role: 'viewer' }));
    expect(principal).toEqual({ userId: 'u-ada', tenantId: 't1', role: 'admin', email: 'ada@example.com', tokenEpoch: 2, installationAdmin: true });
  });

  it('gives no installation role to a user without it', async () => {
    await put({ ...ADA, installation_admin: 0 });
    expect((await loader.load(claimsOf(ADA))).installationAdmin).toBe(false);
  });

  it('refuses an unknown user, a disabled one, and a token of another epoch', async () => {
    await expect(loader.load(claimsOf(ADA))).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID', status: 401 });
    await put({ ...ADA, active: 0 });
    await expect(loader.load(claimsOf(ADA))).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
    await put(ADA);
    await expect(loader.load(claimsOf(ADA, { ep: 1 }))).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
    await expect(loader.load(claimsOf(ADA, { ep: 3 }))).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
    await expect(loader.load(claimsOf(ADA))).resolves.toMatchObject({ userId: 'u-ada' });
  });

  it('does not find a user of another tenant', async () => {
    await put(ADA);
    await expect(loader.load(claimsOf(ADA, { tid: 't2' }))).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
  });

  it('reuses a loaded principal for PRINCIPAL_CACHE_TTL_MS, then asks the database again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await put(ADA);
    const first = await loader.load(claimsOf(ADA));
    expect(lookups).toBe(1);
    expect(loader.cached(claimsOf(ADA))).toBe(first);
    await put({ ...ADA, role: 'viewer' });
    vi.advanceTimersByTime(PRINCIPAL_CACHE_TTL_MS - 1);
    expect(await loader.load(claimsOf(ADA))).toBe(first);
    expect(lookups).toBe(1);
    vi.advanceTimersByTime(1);
    expect(loader.cached(claimsOf(ADA))).toBeUndefined();
    expect((await loader.load(claimsOf(ADA))).role).toBe('viewer');
    expect(lookups).toBe(2);
  });

  it('keeps at most PRINCIPAL_CACHE_MAX principals, starting over when full', async () => {
    // The clock stands still: however slow the machine, no entry expires meanwhile.
    vi.useFakeTimers({ toFake: ['Date'] });
    const ids = Array.from({ length: PRINCIPAL_CACHE_MAX + 1 }, (_, i) => `u-${i}`);
    const insert = sqlite.prepare('insert into users values (?, ?, ?, ?, ?, ?, ?)');
    sqlite.transaction(() => {
      for (const id of ids) insert.run(id, 't1', 'staff', `${id}@example.com`, 1, 0, 0);
    })();
    const claims = (id: string): TokenClaims => ({ sub: id, tid: 't1', role: 'staff', ep: 0 });
    for (const id of ids.slice(0, PRINCIPAL_CACHE_MAX)) await loader.load(claims(id));
    expect(loader.cached(claims(ids[0]!))).toBeDefined();
    expect(loader.cached(claims(ids[PRINCIPAL_CACHE_MAX - 1]!))).toBeDefined();
    await loader.load(claims(ids[PRINCIPAL_CACHE_MAX]!));
    expect(loader.cached(claims(ids[0]!))).toBeUndefined();
    expect(loader.cached(claims(ids[PRINCIPAL_CACHE_MAX - 1]!))).toBeUndefined();
    expect(loader.cached(claims(ids[PRINCIPAL_CACHE_MAX]!))).toBeDefined();
  });

  it('does not serve the cached principal to a token of another tenant or epoch', async () => {
    await put(ADA);
    await loader.load(claimsOf(ADA));
    expect(loader.cached(claimsOf(ADA, { tid: 't2' }))).toBeUndefined();
    expect(loader.cached(claimsOf(ADA, { ep: 3 }))).toBeUndefined();
    expect(loader.cached(claimsOf(ADA))).toBeDefined();
  });

  it('forget drops the cached principal at once, and a refused look-up drops it too', async () => {
    await put(ADA);
    await loader.load(claimsOf(ADA));
    loader.forget('u-ada');
    expect(loader.cached(claimsOf(ADA))).toBeUndefined();
    await loader.load(claimsOf(ADA));
    await put({ ...ADA, active: 0 });
    // A fresh look-up (another epoch's token) is refused and takes the cached principal with it.
    await expect(loader.load(claimsOf(ADA, { ep: 3 }))).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
    expect(loader.cached(claimsOf(ADA))).toBeUndefined();
  });

  it('remembers what the database said, refusals included, for when it cannot be asked', async () => {
    await put({ ...ADA, active: 0 });
    await expect(loader.load(claimsOf(ADA))).rejects.toThrow();
    expect(known.get('u-ada')).toEqual({
      userId: 'u-ada',
      tenantId: 't1',
      role: 'admin',
      email: 'ada@example.com',
      active: false,
      tokenEpoch: 2,
      installationAdmin: true,
    });
  });

  describe('while the database cannot be asked', () => {
    it('gives a user never seen here the token claims, without the installation role', async () => {
      const p = await loader.load(claimsOf(ADA, { role: 'staff' }), { databaseDown: true });
      expect(p).toEqual({ userId: 'u-ada', tenantId: 't1', role: 'staff', email: '', tokenEpoch: 2, installationAdmin: false });
      expect(lookups).toBe(0);
    });

    it('gives a known user no more than last known (role, installation role)', async () => {
      known.remember({ userId: 'u-ada', tenantId: 't1', role: 'viewer', email: 'ada@example.com', active: true, tokenEpoch: 2, installationAdmin: false });
      const p = await loader.load(claimsOf(ADA, { role: 'owner' }), { databaseDown: true });
      expect(p).toEqual({ userId: 'u-ada', tenantId: 't1', role: 'viewer', email: 'ada@example.com', tokenEpoch: 2, installationAdmin: false });
      known.remember({ userId: 'u-ada', tenantId: 't1', role: 'admin', email: 'ada@example.com', active: true, tokenEpoch: 2, installationAdmin: true });
      expect((await loader.load(claimsOf(ADA), { databaseDown: true })).installationAdmin).toBe(true);
    });

    it('accepts a token of a newer epoch than last known, keeping its epoch', async () => {
      known.remember({ userId: 'u-ada', tenantId: 't1', role: 'staff', email: 'ada@example.com', active: true, tokenEpoch: 2, installationAdmin: false });
      expect((await loader.load(claimsOf(ADA, { ep: 3 }), { databaseDown: true })).tokenEpoch).toBe(3);
      expect((await loader.load(claimsOf(ADA, { ep: 2 }), { databaseDown: true })).tokenEpoch).toBe(2);
    });

    it('refuses a user known to be disabled, and a token known to be revoked', async () => {
      known.remember({ userId: 'u-ada', tenantId: 't1', role: 'staff', email: 'ada@example.com', active: false, tokenEpoch: 2, installationAdmin: false });
      await expect(loader.load(claimsOf(ADA), { databaseDown: true })).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
      known.remember({ userId: 'u-ada', tenantId: 't1', role: 'staff', email: 'ada@example.com', active: true, tokenEpoch: 2, installationAdmin: false });
      await expect(loader.load(claimsOf(ADA, { ep: 1 }), { databaseDown: true })).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
    });

    it('ignores what is known of the same user id in another tenant', async () => {
      known.remember({ userId: 'u-ada', tenantId: 't2', role: 'owner', email: 'ada@example.com', active: false, tokenEpoch: 9, installationAdmin: true });
      const p = await loader.load(claimsOf(ADA, { role: 'staff' }), { databaseDown: true });
      expect(p).toMatchObject({ tenantId: 't1', role: 'staff', installationAdmin: false, email: '' });
    });

    it('falls back to what is known when the look-up fails transiently', async () => {
      known.remember({ userId: 'u-ada', tenantId: 't1', role: 'staff', email: 'ada@example.com', active: true, tokenEpoch: 2, installationAdmin: false });
      failNext = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      expect(await loader.load(claimsOf(ADA))).toMatchObject({ role: 'staff', email: 'ada@example.com' });
    });

    it('rethrows a look-up failure that is not transient', async () => {
      const permanent = Object.assign(new Error('no such table: users'), { code: 'SQLITE_ERROR' });
      failNext = permanent;
      await expect(loader.load(claimsOf(ADA))).rejects.toBe(permanent);
    });

    it('still serves a fresh cached principal first', async () => {
      await put(ADA);
      const p = await loader.load(claimsOf(ADA));
      expect(await loader.load(claimsOf(ADA), { databaseDown: true })).toBe(p);
    });
  });
});
