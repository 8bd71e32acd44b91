// A DATABASE_URL that lists several hosts, with target_session_attrs: each new connection goes to
// the first host that is up and of the role asked for, and follows the database to another host
// when the one it used goes away. PostgreSQL only: the choice is among PostgreSQL servers. Hosts
// are the shared server, fault proxies in front of it and a port where nothing listens; the URL's
// `options` parameter makes the server's sessions read-only, as a standby's are.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatabaseHost } from '../../src/config/database-url.js';
import { openPostgres, type PostgresHandle } from '../../src/db/dialects/postgres.js';
import { isTransientError } from '../../src/db/transient-errors.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { freePort } from '../support/spawn-robusto.js';

const POOL = { max: 2, statementTimeoutMs: 5_000, writeDeadlineMs: 1_000, connectTimeoutMs: 2_000, idleTimeoutMs: 10_000, maxLifetimeSeconds: 60 };
const READ_ONLY_SESSIONS = 'options=-c%20default_transaction_read_only%3Don';

describe('PostgreSQL with several hosts and target_session_attrs', () => {
  let database: TestDatabase;
  let server: { user: string; host: string; port: number; name: string };
  let dead: number;
  const handles: PostgresHandle[] = [];
  const proxies: FaultProxy[] = [];

  /** A multi-host URL of the test database: `hosts` as host:port, then the query. */
  const urlOf = (hosts: string[], query: string): string => `postgres://${server.user}@${hosts.join(',')}/${server.name}?${query}`;
  const shared = (): string => `${server.host}:${server.port}`;

  /** Opens a pool on `url`, noting each host it chooses. */
  function open(url: string): { handle: PostgresHandle; chosen: Array<{ host: string; previous: string | undefined }> } {
    const chosen: Array<{ host: string; previous: string | undefined }> = [];
    const describe = (h: DatabaseHost) => `${h.host}:${h.port}`;
    const handle = openPostgres(
      url,
      POOL,
      () => undefined,
      (host, previous) => chosen.push({ host: describe(host), previous: previous && describe(previous) }),
    );
    handles.push(handle);
    return { handle, chosen };
  }

  async function queryOn(handle: PostgresHandle, text: string): Promise<string> {
    const client = await handle.connect();
    try {
      const { rows } = await client.query<{ value: string }>(text);
      return String(rows[0]?.value);
    } finally {
      client.release();
    }
  }

  /** Backends of the test database whose application_name is `name`, asked on a connection of our own. */
  async function backends(name: string): Promise<number> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        'select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1',
        [name],
      );
      return rows[0]?.n ?? 0;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const url = new URL(database.url);
    server = { user: decodeURIComponent(url.username) || 'postgres', host: url.hostname, port: Number(url.port || 5432), name: url.pathname.slice(1) };
    dead = await freePort();
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => Promise.all([h.pool.end(), h.monitor.close()])));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(() => database.drop());

  it('read-write: passes over a host that refuses and uses the first that accepts writes; none fits when every session is read-only', async () => {
    const { handle, chosen } = open(urlOf([`127.0.0.1:${dead}`, shared()], 'target_session_attrs=read-write'));
    expect(await queryOn(handle, "select current_setting('transaction_read_only') as value")).toBe('off');
    expect(chosen).toEqual([{ host: shared(), previous: undefined }]);
    expect(await handle.monitor.ping()).toBeGreaterThan(0);

    const readOnly = open(urlOf([`127.0.0.1:${dead}`, shared()], `target_session_attrs=read-write&${READ_ONLY_SESSIONS}`));
    const refused = await queryOn(readOnly.handle, 'select 1 as value').catch((error: unknown) => error);
    expect(refused).toMatchObject({ name: 'NoDatabaseHostError', code: 'ERR_DATABASE_NO_HOST' });
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^no host of DATABASE_URL is read-write: 127\\.0\\.0\\.1:${dead}: .*ECONNREFUSED.*; ${shared().replaceAll('.', '\\.')}: it is a primary, read-only$`,
      ),
    );
    expect(isTransientError(refused)).toBe(true);
    await expect(readOnly.handle.monitor.ping()).rejects.toMatchObject({ code: 'ERR_DATABASE_NO_HOST' });
    expect(readOnly.chosen).toEqual([]);
  });

  it.each([
    ['read-only', true, 'on'],
    ['primary', false, 'off'],
    ['standby', false, undefined],
    ['prefer-standby', false, 'off'],
    ['any', true, 'on'],
  ] as const)('%s on a primary (read-only sessions: %s) gives transaction_read_only %s', async (attrs, readOnlySessions, expected) => {
    const { handle } = open(urlOf([`127.0.0.1:${dead}`, shared()], `target_session_attrs=${attrs}${readOnlySessions ? `&${READ_ONLY_SESSIONS}` : ''}`));
    const outcome = queryOn(handle, "select current_setting('transaction_read_only') as value");
    if (expected === undefined)
      await expect(outcome).rejects.toMatchObject({ code: 'ERR_DATABASE_NO_HOST', message: expect.stringContaining('it is a primary') });
    else expect(await outcome).toBe(expected);
  });

  it('follows the database to the next host when the one in use goes away, and back to the list when that one does', async () => {
    const first = await startFaultProxy({ host: server.host, port: server.port });
    const second = await startFaultProxy({ host: server.host, port: server.port });
    proxies.push(first, second);
    const { handle, chosen } = open(urlOf([`127.0.0.1:${first.port}`, `127.0.0.1:${second.port}`], 'target_session_attrs=read-write'));
    expect(await queryOn(handle, 'select inet_server_port()::text as value')).toBe(String(server.port));
    expect(first.connections()).toBeGreaterThan(0);

    // the first host goes away: its connections break, and new ones go to the second, found by the
    // next checkout itself (the remembered host fails, the list is walked again)
    first.cut();
    // once the pool has dropped its broken idle connection, the next checkout opens a new one
    await vi.waitFor(() => expect(handle.pool.totalCount).toBe(0));
    expect(await queryOn(handle, 'select 1 as value')).toBe('1');
    expect(second.connections()).toBeGreaterThan(0);
    expect(await handle.monitor.ping()).toBeGreaterThan(0);
    expect(chosen).toEqual([
      { host: `127.0.0.1:${first.port}`, previous: undefined },
      { host: `127.0.0.1:${second.port}`, previous: `127.0.0.1:${first.port}` },
    ]);

    // the first comes back and the second goes away: the list is walked from its start again
    first.pass();
    second.cut();
    await vi.waitFor(() => expect(handle.pool.totalCount).toBe(0));
    expect(await queryOn(handle, 'select 1 as value')).toBe('1');
    expect(chosen.at(-1)).toEqual({ host: `127.0.0.1:${first.port}`, previous: `127.0.0.1:${second.port}` });
  });

  it('gives the error itself when every host answers with a permanent one (a database that does not exist)', async () => {
    const { handle } = open(`postgres://${server.user}@${shared()},${shared()}/robusto_no_such_database?target_session_attrs=read-write`);
    const error = await queryOn(handle, 'select 1 as value').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '3D000' });
    expect(isTransientError(error)).toBe(false);
  });

  it('a connection ended while its host is being chosen opens nothing afterwards', async () => {
    const slow = await startFaultProxy({ host: server.host, port: server.port });
    proxies.push(slow);
    slow.latency(300);
    const { handle } = open(urlOf([`127.0.0.1:${slow.port}`, shared()], 'target_session_attrs=read-write&application_name=robusto-abandoned'));
    // ended while the walk still waits for the slow first host
    const client = new (handle.pool.options.Client as typeof pg.Client)({ connectionString: urlOf([shared()], 'application_name=robusto-abandoned') });
    const connecting = client.connect();
    await client.end();
    await expect(connecting).rejects.toMatchObject({ code: 'ERR_DATABASE_NO_HOST', message: expect.stringMatching(/was abandoned before it was opened$/) });
    expect(await backends('robusto-abandoned')).toBe(0);
  });
});
