import SqliteDatabase from 'better-sqlite3';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { createIdentity, createTokenService } from '../identity/index.js';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import { KnownPrincipals } from '../resilience/known-principals.js';
import type { AppError } from '../shared/app-error.js';
import type { Role } from '../shared/principal.js';
import { bearerTokenOf, registerAuthentication } from './authenticate.js';

const withAuthorization = (authorization: unknown) => ({ headers: { authorization } }) as unknown as FastifyRequest;

describe('bearerTokenOf', () => {
  it('reads the token of an Authorization: Bearer header, whatever the case of the scheme', () => {
    expect(bearerTokenOf(withAuthorization('Bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(bearerTokenOf(withAuthorization('bearer abc'))).toBe('abc');
    expect(bearerTokenOf(withAuthorization('BEARER   abc'))).toBe('abc');
  });

  it('has none without the header, or with another scheme', () => {
    expect(bearerTokenOf(withAuthorization(undefined))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization(['Bearer abc']))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('xBearer abc'))).toBeUndefined();
  });

  it('has none when the header holds anything besides one token', () => {
    expect(bearerTokenOf(withAuthorization('Bearer'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearer '))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearerabc'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearer abc def'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearer abc '))).toBeUndefined();
  });
});

describe('registerAuthentication', () => {
  const SECRET = 'a-test-secret-key-of-enough-length-0123456789';
  let app: FastifyInstance;
  let sqlite: SqliteDatabase.Database;
  let kysely: Kysely<unknown>;
  let known: KnownPrincipals;
  const circuit = { closed: true };
  const tokens = createTokenService(SECRET);

  const user = (id: string, role: Role, installationAdmin = 0, active = 1) =>
    sqlite.prepare('insert into users values (?, ?, ?, ?, ?, ?, ?)').run(id, 't1', role, `${id}@example.com`, active, 0, installationAdmin);
  const bearer = (id: string, role: Role = 'viewer') => ({ authorization: `Bearer ${tokens.sign({ sub: id, tid: 't1', role, ep: 0 }).token}` });

  beforeEach(async () => {
    sqlite = new SqliteDatabase(':memory:');
    sqlite.exec(
      'create table users (id text primary key, tenant_id text, role text, email text, active integer, token_epoch integer, installation_admin integer)',
    );
    kysely = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
    known = new KnownPrincipals(undefined);
    circuit.closed = true;
    app = Fastify();
    app.setErrorHandler((error: AppError, _request, reply) =>
      reply.code(error.status ?? 500).send({ code: error.code, detail: error.detail, ...error.extensions }),
    );
    registerAuthentication(app, createIdentity({ kysely } as unknown as Database, SECRET, known), circuit as unknown as DatabaseCircuit);
    const who = (request: FastifyRequest) => ({ role: request.principal?.role ?? null, installationAdmin: request.principal?.installationAdmin ?? null });
    app.get('/api/open', { config: { public: true } }, async (request) => who(request));
    app.get('/api/things', async (request) => who(request));
    app.post('/api/things', { config: { permission: 'write' } }, async (request) => who(request));
    app.get('/api/system/backups', { config: { permission: 'system', installation: true } }, async (request) => who(request));
    app.get('/apix', async (request) => who(request));
    app.get('/health', async (request) => who(request));
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    known.close();
    await kysely.destroy();
  });

  it('lets public routes, routes outside /api and unknown URLs through without a token', async () => {
    expect((await app.inject({ url: '/api/open' })).json()).toEqual({ role: null, installationAdmin: null });
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/apix' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/nothing-here' })).statusCode).toBe(404);
  });

  it('answers 401 without a token, or with one that is not valid', async () => {
    expect((await app.inject({ url: '/api/things' })).json()).toMatchObject({ code: 'ERR_AUTH_REQUIRED' });
    expect((await app.inject({ url: '/api/things' })).statusCode).toBe(401);
    const forged = await app.inject({ url: '/api/things', headers: { authorization: 'Bearer not.a.token' } });
    expect(forged.statusCode).toBe(401);
    expect(forged.json()).toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
  });

  it('needs the read permission by default, and the route’s own otherwise, from the role the database has', async () => {
    user('u-viewer', 'viewer');
    user('u-staff', 'staff');
    expect((await app.inject({ url: '/api/things', headers: bearer('u-viewer') })).json()).toEqual({ role: 'viewer', installationAdmin: false });
    const refused = await app.inject({ method: 'POST', url: '/api/things', headers: bearer('u-viewer', 'staff') });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({
      code: 'ERR_AUTH_FORBIDDEN',
      detail: 'Your role "viewer" lacks the "write" permission needed for POST /api/things; ask an admin or owner.',
      permission: 'write',
    });
    expect((await app.inject({ method: 'POST', url: '/api/things', headers: bearer('u-staff') })).json()).toEqual({ role: 'staff', installationAdmin: false });
  });

  it('needs the installation role, and a role that operates the system, on installation routes', async () => {
    user('u-admin', 'admin');
    user('u-operator', 'admin', 1);
    user('u-demoted', 'staff', 1);
    const admin = await app.inject({ url: '/api/system/backups', headers: bearer('u-admin') });
    expect(admin.statusCode).toBe(403);
    expect(admin.json()).toMatchObject({ code: 'ERR_INSTALLATION_ROLE_REQUIRED' });
    expect(admin.json().detail).toContain('GET /api/system/backups');
    expect((await app.inject({ url: '/api/system/backups', headers: bearer('u-demoted') })).json()).toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    expect((await app.inject({ url: '/api/system/backups', headers: bearer('u-operator') })).json()).toEqual({ role: 'admin', installationAdmin: true });
  });

  it('checks the permission again on a cached principal', async () => {
    user('u-viewer', 'viewer');
    expect((await app.inject({ url: '/api/things', headers: bearer('u-viewer') })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/things', headers: bearer('u-viewer') })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/system/backups', headers: bearer('u-viewer') })).statusCode).toBe(403);
  });

  it('does not ask the database while its circuit is open: the token’s user gets no more than last known', async () => {
    circuit.closed = false;
    // Nothing is asked of the database: a user it has as owner gets no more than the token says.
    user('u-new', 'owner', 1);
    const stranger = await app.inject({ method: 'POST', url: '/api/things', headers: bearer('u-new', 'staff') });
    expect(stranger.json()).toEqual({ role: 'staff', installationAdmin: false });
    expect((await app.inject({ url: '/api/system/backups', headers: bearer('u-new', 'owner') })).statusCode).toBe(403);
    known.remember({ userId: 'u-known', tenantId: 't1', role: 'viewer', email: 'k@example.com', active: true, tokenEpoch: 0, installationAdmin: false });
    expect((await app.inject({ method: 'POST', url: '/api/things', headers: bearer('u-known', 'owner') })).statusCode).toBe(403);
  });
});
