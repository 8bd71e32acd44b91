// HostChooser and clientThrough on their own, against the shared local PostgreSQL server, a port
// where nothing listens and a fault proxy: which host each target_session_attrs takes, what the
// errors say, when the host list is walked (probe connections counted), when a new host is
// announced, and how a connection given up before it opens, or failing after, is handled. The
// URL's `options` parameter makes the server's sessions read-only, as a standby's are.
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../../test/support/fault-proxy.js';
import { TEST_DATABASE_URL } from '../../../test/support/test-database.js';
import { parseDatabaseUrl, type DatabaseHost, type DatabaseTarget, type TargetSessionAttrs } from '../../config/database-url.js';
import { DatabaseError } from '../database.errors.js';
import { clientThrough, describeHost, HostChooser, NoDatabaseHostError } from './postgres-hosts.js';
import { freePort } from '../../../test/support/spawn-robusto.js';

const READ_ONLY_SESSIONS = 'options=-c%20default_transaction_read_only%3Don';
const ROLE_QUERY = 'pg_is_in_recovery()';
const server = new URL(TEST_DATABASE_URL);
const user = decodeURIComponent(server.username) || 'postgres';
const shared: DatabaseHost = { host: server.hostname, port: Number(server.port || 5432) };
const sharedText = `${shared.host}:${shared.port}`;
const databaseName = server.pathname.slice(1);

const realQuery = Reflect.get(pg.Client.prototype, 'query') as (...args: unknown[]) => unknown;

/** An open that fails with `reason`, which need not be an Error. */
function failingWith(reason: unknown): () => Promise<never> {
  return () => Promise.reject(reason);
}

interface ClientInternals {
  host: string;
  port: number;
  connectionParameters: { application_name?: string };
}

describe('describeHost', () => {
  it('writes a host name or an IPv4 address as host:port and an IPv6 address in brackets', () => {
    expect(describeHost({ host: '127.0.0.1', port: 5432 })).toBe('127.0.0.1:5432');
    expect(describeHost({ host: 'db.example.com', port: 6432 })).toBe('db.example.com:6432');
    expect(describeHost({ host: '::1', port: 5432 })).toBe('[::1]:5432');
    expect(describeHost({ host: 'fd00::12:34', port: 5433 })).toBe('[fd00::12:34]:5433');
  });
});

describe('NoDatabaseHostError', () => {
  it('is an Error named NoDatabaseHostError with the code of DatabaseError.NO_HOST and the message given', () => {
    const error = new NoDatabaseHostError('no host fits');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('NoDatabaseHostError');
    expect(error.code).toBe(DatabaseError.NO_HOST);
    expect(error.code).toBe('ERR_DATABASE_NO_HOST');
    expect(error.message).toBe('no host fits');
  });
});

describe('HostChooser', () => {
  let dead: number;
  let deadToo: number;
  let connects: MockInstance<pg.Client['connect']>;
  let queries: MockInstance;
  const clients: pg.Client[] = [];
  const proxies: FaultProxy[] = [];

  /** A target of the shared server's database through `hosts` (host:port), with `query`. */
  function targetOf(hosts: string[], query: string, database = databaseName): DatabaseTarget {
    const target = parseDatabaseUrl(`postgres://${user}@${hosts.join(',')}/${database}?${query}`);
    if (typeof target === 'string') throw new Error(target);
    return target;
  }

  function chooserOf(target: DatabaseTarget, onChosen = vi.fn()): HostChooser {
    return new HostChooser(target, { connectionString: target.connectionString, connectionTimeoutMillis: 2_000 }, onChosen);
  }

  /** A node-postgres client of `connectionString`, not connected, ended after the test. */
  function clientOf(connectionString: string, Client: typeof pg.Client = pg.Client): pg.Client {
    const client = new Client({ connectionString });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }

  /** Connects `client` through `chooser`, opening it for real. */
  function connectThrough(chooser: HostChooser, client: pg.Client): Promise<void> {
    return chooser.connect(
      client,
      () => client.connect(),
      () => false,
    );
  }

  const contextsOf = (): ClientInternals[] => connects.mock.contexts as unknown as ClientInternals[];
  /** host:port of each probe connection opened so far, in order. */
  const probes = (): string[] =>
    contextsOf()
      .filter((c) => c.connectionParameters.application_name === 'robusto-host-check')
      .map((c) => `${c.host}:${c.port}`);
  /** host:port of each connection opened so far that is not a probe. */
  const opens = (): string[] =>
    contextsOf()
      .filter((c) => c.connectionParameters.application_name !== 'robusto-host-check')
      .map((c) => `${c.host}:${c.port}`);
  const roleQueries = (): number => queries.mock.calls.filter((call) => typeof call[0] === 'string' && call[0].includes(ROLE_QUERY)).length;

  async function settingOf(client: pg.Client): Promise<string> {
    const { rows } = await client.query<{ value: string }>("select current_setting('transaction_read_only') as value");
    return String(rows[0]?.value);
  }

  beforeAll(async () => {
    dead = await freePort();
    deadToo = await freePort();
  });
  beforeEach(() => {
    connects = vi.spyOn(pg.Client.prototype, 'connect');
    queries = vi.spyOn(pg.Client.prototype, 'query');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  describe.each([
    ['any', false, 'off', 0],
    ['any', true, 'on', 0],
    ['read-write', false, 'off', 2],
    ['read-write', true, 'it is a primary, read-only', 1],
    ['read-only', false, 'it is a primary', 1],
    ['read-only', true, 'on', 2],
    ['primary', false, 'off', 2],
    ['primary', true, 'on', 2],
    ['standby', false, 'it is a primary', 1],
    ['standby', true, 'it is a primary, read-only', 1],
    ['prefer-standby', false, 'off', 1],
    ['prefer-standby', true, 'on', 1],
  ] as const)('target_session_attrs=%s, read-only sessions: %s', (attrs: TargetSessionAttrs, readOnlySessions, outcome, roleChecks) => {
    it(`passes over a refused host, then ${outcome.startsWith('it is') ? `finds none: "${outcome}"` : `takes the server (transaction_read_only ${outcome})`}, asking the role ${roleChecks} times`, async () => {
      const target = targetOf([`127.0.0.1:${dead}`, sharedText], `target_session_attrs=${attrs}${readOnlySessions ? `&${READ_ONLY_SESSIONS}` : ''}`);
      const onChosen = vi.fn();
      const chooser = chooserOf(target, onChosen);
      const client = clientOf(target.connectionString);
      const connecting = connectThrough(chooser, client);
      if (outcome.startsWith('it is')) {
        const error = await connecting.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NoDatabaseHostError);
        expect((error as Error).message).toBe(
          `no host of DATABASE_URL is ${attrs}: 127.0.0.1:${dead}: connect ECONNREFUSED 127.0.0.1:${dead}; ${sharedText}: ${outcome}`,
        );
        expect(onChosen).not.toHaveBeenCalled();
        expect(opens()).toEqual([]);
      } else {
        await connecting;
        expect(await settingOf(client)).toBe(outcome);
        expect(onChosen.mock.calls).toEqual([[shared, undefined, attrs]]);
        expect(opens()).toEqual([sharedText]);
      }
      expect(probes()).toEqual([`127.0.0.1:${dead}`, sharedText]);
      expect(roleQueries()).toBe(roleChecks);
    });
  });

  it('says no host is reachable when every host refuses, with requirement any or prefer-standby', async () => {
    for (const attrs of ['any', 'prefer-standby'] as const) {
      const chooser = chooserOf(targetOf([`127.0.0.1:${dead}`, `127.0.0.1:${deadToo}`], `target_session_attrs=${attrs}`));
      const error = await connectThrough(chooser, clientOf(TEST_DATABASE_URL)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoDatabaseHostError);
      expect((error as Error).message).toBe(
        `no host of DATABASE_URL is ${attrs === 'any' ? 'reachable' : 'prefer-standby'}: 127.0.0.1:${dead}: connect ECONNREFUSED 127.0.0.1:${dead}; 127.0.0.1:${deadToo}: connect ECONNREFUSED 127.0.0.1:${deadToo}`,
      );
    }
    expect(opens()).toEqual([]);
  });

  it('prefer-standby takes the first host that answered when none is a standby, and does not check the role of its connections', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText, 'localhost:5432'], 'target_session_attrs=prefer-standby');
    const onChosen = vi.fn();
    const chooser = chooserOf(target, onChosen);
    const client = clientOf(target.connectionString);
    await connectThrough(chooser, client);
    expect(onChosen.mock.calls).toEqual([[shared, undefined, 'prefer-standby']]);
    expect(probes()).toEqual([`127.0.0.1:${dead}`, sharedText, 'localhost:5432']);
    expect(opens()).toEqual([sharedText]);
    expect(roleQueries()).toBe(2);
    await connectThrough(chooser, clientOf(target.connectionString));
    expect(probes()).toHaveLength(3);
    expect(roleQueries()).toBe(2);
  });

  it('sends the remembered host new connections without walking the list again, checking each connection’s role', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText], 'target_session_attrs=read-write');
    const onChosen = vi.fn();
    const chooser = chooserOf(target, onChosen);
    await connectThrough(chooser, clientOf(target.connectionString));
    const second = clientOf(target.connectionString);
    await connectThrough(chooser, second);
    expect(await settingOf(second)).toBe('off');
    expect(probes()).toEqual([`127.0.0.1:${dead}`, sharedText]);
    expect(opens()).toEqual([sharedText, sharedText]);
    expect(roleQueries()).toBe(3);
    expect(onChosen).toHaveBeenCalledTimes(1);
  });

  it('chooses a host without anyone listening for the choice', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText], 'target_session_attrs=read-write');
    const chooser = new HostChooser(target, { connectionString: target.connectionString, connectionTimeoutMillis: 2_000 });
    const client = clientOf(target.connectionString) as pg.Client & ClientInternals;
    await connectThrough(chooser, client);
    expect(`${client.host}:${client.port}`).toBe(sharedText);
  });

  it('aims the client at the chosen host before opening it', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText], 'target_session_attrs=any');
    const chooser = chooserOf(target);
    const client = clientOf(target.connectionString) as pg.Client & ClientInternals;
    expect(`${client.host}:${client.port}`).toBe(`127.0.0.1:${dead}`);
    const open = vi.fn(() => {
      expect(`${client.host}:${client.port}`).toBe(sharedText);
      return Promise.resolve();
    });
    await chooser.connect(client, open, () => false);
    expect(open).toHaveBeenCalledTimes(1);
    expect(`${client.host}:${client.port}`).toBe(sharedText);
  });

  it('forgets the remembered host when a connection to it fails: that error (or one caused by it) is worth retrying, and the next connection walks the list without announcing the same host again', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText], 'target_session_attrs=read-write');
    const onChosen = vi.fn();
    const chooser = chooserOf(target, onChosen);
    await connectThrough(chooser, clientOf(target.connectionString));
    const failing = clientOf(target.connectionString);
    const end = vi.spyOn(failing, 'end');
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    await expect(
      chooser.connect(
        failing,
        () => Promise.reject(reset),
        () => false,
      ),
    ).rejects.toBe(reset);
    expect(end).not.toHaveBeenCalled();

    expect(chooser.worthRetrying(reset)).toBe(true);
    expect(chooser.worthRetrying(new Error('timeout', { cause: reset }))).toBe(true);
    expect(chooser.worthRetrying({ cause: reset })).toBe(true);
    expect(chooser.worthRetrying(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
    expect(chooser.worthRetrying({ cause: new Error('other') })).toBe(false);
    expect(chooser.worthRetrying({ cause: null })).toBe(false);
    expect(chooser.worthRetrying({ cause: 'read ECONNRESET' })).toBe(false);
    expect(chooser.worthRetrying(null)).toBe(false);
    expect(chooser.worthRetrying(undefined)).toBe(false);
    expect(chooser.worthRetrying('read ECONNRESET')).toBe(false);
    expect(probes()).toHaveLength(2);

    await connectThrough(chooser, clientOf(target.connectionString));
    expect(probes()).toEqual([`127.0.0.1:${dead}`, sharedText, `127.0.0.1:${dead}`, sharedText]);
    expect(onChosen).toHaveBeenCalledTimes(1);
  });

  it('forgets a host just found when the connection to it fails, but that error is not worth retrying', async () => {
    const target = targetOf([sharedText], 'target_session_attrs=read-write');
    const chooser = chooserOf(target);
    const refused = new Error('connect ECONNREFUSED');
    await expect(
      chooser.connect(
        clientOf(target.connectionString),
        () => Promise.reject(refused),
        () => false,
      ),
    ).rejects.toBe(refused);
    expect(chooser.worthRetrying(refused)).toBe(false);
    expect(chooser.worthRetrying({ cause: refused })).toBe(false);
    await connectThrough(chooser, clientOf(target.connectionString));
    expect(probes()).toEqual([sharedText, sharedText]);
  });

  it('rethrows what a failing open threw on the remembered host even when it is not an object', async () => {
    const target = targetOf([sharedText], 'target_session_attrs=any');
    const chooser = chooserOf(target);
    const opened = () => Promise.resolve();
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    await expect(chooser.connect(clientOf(TEST_DATABASE_URL), failingWith('refused'), () => false)).rejects.toBe('refused');
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    await expect(chooser.connect(clientOf(TEST_DATABASE_URL), failingWith(null), () => false)).rejects.toBeNull();
    expect(chooser.worthRetrying('refused')).toBe(false);
    expect(probes()).toHaveLength(2);
  });

  it('ends a connection whose server turns out to be of the wrong role and rethrows, forgetting the host', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText], 'target_session_attrs=read-write');
    const chooser = chooserOf(target);
    await connectThrough(chooser, clientOf(target.connectionString));
    const readOnly = clientOf(`${target.connectionString}?${READ_ONLY_SESSIONS}`);
    const end = vi.spyOn(readOnly, 'end');
    const error = await connectThrough(chooser, readOnly).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDatabaseHostError);
    expect(error).toMatchObject({
      name: 'NoDatabaseHostError',
      code: 'ERR_DATABASE_NO_HOST',
      message: `${sharedText} is a primary, read-only now, not read-write`,
    });
    expect(end).toHaveBeenCalledTimes(1);
    await expect(readOnly.query('select 1')).rejects.toThrow(/not queryable/);
    expect(chooser.worthRetrying(error)).toBe(true);
    expect(probes()).toHaveLength(2);
    await connectThrough(chooser, clientOf(target.connectionString));
    expect(probes()).toHaveLength(4);
  });

  it('says a read-write server is "a primary" when read-only is asked and its connection turns out writable', async () => {
    const target = targetOf([sharedText], `target_session_attrs=read-only&${READ_ONLY_SESSIONS}`);
    const chooser = chooserOf(target);
    const writable = clientOf(TEST_DATABASE_URL);
    const error = await connectThrough(chooser, writable).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NoDatabaseHostError', message: `${sharedText} is a primary now, not read-only` });
    expect(chooser.worthRetrying(error)).toBe(false);
    await expect(writable.query('select 1')).rejects.toThrow(/not queryable/);
  });

  it('opens nothing for a connection abandoned while its host was chosen, and keeps the host', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText], 'target_session_attrs=read-write');
    const chooser = chooserOf(target);
    const open = vi.fn(() => Promise.resolve());
    const error = await chooser.connect(clientOf(target.connectionString), open, () => true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDatabaseHostError);
    expect((error as Error).message).toBe(`the connection to ${sharedText} was abandoned before it was opened`);
    expect(open).not.toHaveBeenCalled();
    expect(chooser.worthRetrying(error)).toBe(false);
    await connectThrough(chooser, clientOf(target.connectionString));
    expect(probes()).toHaveLength(2);
  });

  it('has connections that need a host at the same time share one walk, and walks anew once it is over', async () => {
    const target = targetOf([`127.0.0.1:${dead}`, sharedText], 'target_session_attrs=read-write');
    const onChosen = vi.fn();
    const chooser = chooserOf(target, onChosen);
    const [first, second] = [clientOf(target.connectionString), clientOf(target.connectionString)];
    await Promise.all([connectThrough(chooser, first), connectThrough(chooser, second)]);
    expect(probes()).toEqual([`127.0.0.1:${dead}`, sharedText]);
    expect(opens()).toEqual([sharedText, sharedText]);
    expect(onChosen).toHaveBeenCalledTimes(1);
    await expect(
      chooser.connect(
        clientOf(target.connectionString),
        () => Promise.reject(new Error('gone')),
        () => false,
      ),
    ).rejects.toThrow('gone');
    await Promise.all([connectThrough(chooser, clientOf(target.connectionString)), connectThrough(chooser, clientOf(target.connectionString))]);
    expect(probes()).toEqual([`127.0.0.1:${dead}`, sharedText, `127.0.0.1:${dead}`, sharedText]);
  });

  it('throws the first host’s error itself when every host answered with a permanent one', async () => {
    const chooser = chooserOf(targetOf([sharedText, 'localhost:5432'], 'target_session_attrs=read-write', 'robusto_no_such_database'));
    const error = await connectThrough(chooser, clientOf(TEST_DATABASE_URL)).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(NoDatabaseHostError);
    expect(error).toMatchObject({ code: '3D000', message: 'database "robusto_no_such_database" does not exist' });
    expect(probes()).toEqual([sharedText, 'localhost:5432']);
    expect(opens()).toEqual([]);
  });

  it('says no host fits when a permanent error comes with a refused host', async () => {
    const chooser = chooserOf(targetOf([sharedText, `127.0.0.1:${dead}`], 'target_session_attrs=read-write', 'robusto_no_such_database'));
    const error = await connectThrough(chooser, clientOf(TEST_DATABASE_URL)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDatabaseHostError);
    expect((error as Error).message).toBe(
      `no host of DATABASE_URL is read-write: ${sharedText}: database "robusto_no_such_database" does not exist; 127.0.0.1:${dead}: connect ECONNREFUSED 127.0.0.1:${dead}`,
    );
  });

  it('announces each change of host with the previous one and the target, by host name or port, and not a host chosen again', async () => {
    const proxy = await startFaultProxy({ host: shared.host, port: shared.port });
    proxies.push(proxy);
    const target: DatabaseTarget = {
      hosts: [{ host: 'localhost', port: shared.port }],
      targetSessionAttrs: 'any',
      connectionString: TEST_DATABASE_URL,
      needsHostChoice: true,
    };
    const onChosen = vi.fn();
    const chooser = chooserOf(target, onChosen);
    const opened = () => Promise.resolve();
    const forget = () =>
      chooser
        .connect(
          clientOf(TEST_DATABASE_URL),
          () => Promise.reject(new Error('gone')),
          () => false,
        )
        .catch(() => undefined);

    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    await forget();
    target.hosts = [{ host: '127.0.0.1', port: shared.port }];
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    await forget();
    target.hosts = [{ host: '127.0.0.1', port: proxy.port }];
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    await forget();
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);

    expect(onChosen.mock.calls).toEqual([
      [{ host: 'localhost', port: shared.port }, undefined, 'any'],
      [{ host: '127.0.0.1', port: shared.port }, { host: 'localhost', port: shared.port }, 'any'],
      [{ host: '127.0.0.1', port: proxy.port }, { host: '127.0.0.1', port: shared.port }, 'any'],
    ]);
    expect(probes()).toEqual([`localhost:${shared.port}`, `127.0.0.1:${shared.port}`, `127.0.0.1:${proxy.port}`, `127.0.0.1:${proxy.port}`]);
    expect(roleQueries()).toBe(0);
  });

  it('keeps the host a later walk found when a connection to the host before it fails afterwards', async () => {
    const target: DatabaseTarget = { hosts: [shared], targetSessionAttrs: 'any', connectionString: TEST_DATABASE_URL, needsHostChoice: true };
    const chooser = chooserOf(target);
    const opened = () => Promise.resolve();
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    let fail: (error: Error) => void = () => undefined;
    const slow = chooser.connect(
      clientOf(TEST_DATABASE_URL),
      () => new Promise((_, reject) => (fail = reject)),
      () => false,
    );
    await expect(
      chooser.connect(
        clientOf(TEST_DATABASE_URL),
        () => Promise.reject(new Error('gone')),
        () => false,
      ),
    ).rejects.toThrow('gone');
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    expect(probes()).toHaveLength(2);
    fail(new Error('late'));
    await expect(slow).rejects.toThrow('late');
    await chooser.connect(clientOf(TEST_DATABASE_URL), opened, () => false);
    expect(probes()).toHaveLength(2);
  });

  describe('with a standby', () => {
    const standby = `localhost:${shared.port}`;
    const standbyHost: DatabaseHost = { host: 'localhost', port: shared.port };
    const standbys = new Set<string>();

    /** The role query answers as a standby's (in recovery, read-only) on connections to a host:port in `standbys`. */
    beforeEach(() => {
      standbys.clear();
      queries.mockImplementation(function (this: ClientInternals, ...args: unknown[]) {
        if (typeof args[0] === 'string' && args[0].includes(ROLE_QUERY) && standbys.has(`${this.host}:${this.port}`)) {
          return Promise.resolve({ rows: [{ in_recovery: true, read_only: 'on' }] });
        }
        return Reflect.apply(realQuery, this, args);
      } as never);
    });

    it.each([
      ['standby', [sharedText, standby], standbyHost, 3],
      ['prefer-standby', [sharedText, standby], standbyHost, 3],
      ['read-only', [standby, sharedText], standbyHost, 2],
      ['primary', [standby, sharedText], shared, 3],
      ['read-write', [standby, sharedText], shared, 3],
      ['any', [standby, sharedText], standbyHost, 0],
    ] as const)('%s takes the first of %j that fits, %o, asking the role %i times', async (attrs, hosts, chosen, roleChecks) => {
      standbys.add(standby);
      const target = targetOf([...hosts], `target_session_attrs=${attrs}`);
      const onChosen = vi.fn();
      const chooser = chooserOf(target, onChosen);
      const client = clientOf(target.connectionString);
      await connectThrough(chooser, client);
      expect(onChosen.mock.calls).toEqual([[chosen, undefined, attrs]]);
      expect(opens()).toEqual([`${chosen.host}:${chosen.port}`]);
      expect(roleQueries()).toBe(roleChecks);
    });

    it('says a host is a standby when none fits', async () => {
      standbys.add(standby);
      const chooser = chooserOf(targetOf([standby], 'target_session_attrs=primary'));
      const error = await connectThrough(chooser, clientOf(TEST_DATABASE_URL)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoDatabaseHostError);
      expect((error as Error).message).toBe(`no host of DATABASE_URL is primary: ${standby}: it is a standby, read-only`);
    });

    it('finds the remembered primary turned standby on the next connection, and the next walk goes to the new primary', async () => {
      const target = targetOf([standby, sharedText], 'target_session_attrs=primary');
      const onChosen = vi.fn();
      const chooser = chooserOf(target, onChosen);
      await connectThrough(chooser, clientOf(target.connectionString));
      standbys.add(standby);
      const demoted = clientOf(target.connectionString);
      const error = await connectThrough(chooser, demoted).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'NoDatabaseHostError', message: `${standby} is a standby, read-only now, not primary` });
      expect(chooser.worthRetrying(error)).toBe(true);
      await expect(demoted.query('select 1')).rejects.toThrow(/not queryable/);
      await connectThrough(chooser, clientOf(target.connectionString));
      expect(onChosen.mock.calls).toEqual([
        [standbyHost, undefined, 'primary'],
        [shared, standbyHost, 'primary'],
      ]);
      expect(probes()).toEqual([standby, standby, sharedText]);
    });

    it('prefer-standby: a remembered standby that was promoted is refused as not prefer-standby, and the next walk takes the first host', async () => {
      standbys.add(standby);
      const target = targetOf([sharedText, standby], 'target_session_attrs=prefer-standby');
      const onChosen = vi.fn();
      const chooser = chooserOf(target, onChosen);
      await connectThrough(chooser, clientOf(target.connectionString));
      standbys.clear();
      const error = await connectThrough(chooser, clientOf(target.connectionString)).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'NoDatabaseHostError', message: `${standby} is a primary now, not prefer-standby` });
      await connectThrough(chooser, clientOf(target.connectionString));
      expect(onChosen.mock.calls).toEqual([
        [standbyHost, undefined, 'prefer-standby'],
        [shared, standbyHost, 'prefer-standby'],
      ]);
    });
  });

  it('says no host is reachable for a target without hosts', async () => {
    const target: DatabaseTarget = { hosts: [], targetSessionAttrs: 'any', connectionString: TEST_DATABASE_URL, needsHostChoice: true };
    const error = await connectThrough(chooserOf(target), clientOf(TEST_DATABASE_URL)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDatabaseHostError);
    expect((error as Error).message).toBe('no host of DATABASE_URL is reachable: ');
  });

  describe('clientThrough', () => {
    function setUp(hosts: string[]): { Client: typeof pg.Client; target: DatabaseTarget } {
      const target = targetOf(hosts, 'target_session_attrs=read-write');
      return { Client: clientThrough(chooserOf(target)), target };
    }

    it('gives a client class whose connect() resolves the client itself, connected to the host chosen', async () => {
      const { Client, target } = setUp([`127.0.0.1:${dead}`, sharedText]);
      const client = clientOf(target.connectionString, Client);
      expect(client).toBeInstanceOf(pg.Client);
      await expect(client.connect()).resolves.toBe(client);
      expect(await settingOf(client)).toBe('off');
      expect(opens()).toEqual([sharedText]);
    });

    it('calls a connect callback with null and the client once connected', async () => {
      const { Client, target } = setUp([`127.0.0.1:${dead}`, sharedText]);
      const client = clientOf(target.connectionString, Client);
      const args = await new Promise<unknown[]>((resolve) => {
        client.connect((...given: unknown[]) => resolve(given));
      });
      expect(args).toHaveLength(2);
      expect(args[0]).toBeNull();
      expect(args[1]).toBe(client);
      expect(await settingOf(client)).toBe('off');
    });

    it('calls a connect callback with the error alone when no host fits', async () => {
      const { Client, target } = setUp([`127.0.0.1:${dead}`, `127.0.0.1:${deadToo}`]);
      const client = clientOf(target.connectionString, Client);
      const args = await new Promise<unknown[]>((resolve) => {
        client.connect((...given: unknown[]) => resolve(given));
      });
      expect(args).toHaveLength(1);
      expect(args[0]).toBeInstanceOf(NoDatabaseHostError);
      expect((args[0] as Error).message).toMatch(/^no host of DATABASE_URL is read-write: /);
    });

    it('makes a connect still choosing its host fail as abandoned, opening nothing, when the client is ended meanwhile', async () => {
      const { Client, target } = setUp([`127.0.0.1:${dead}`, sharedText]);
      const client = clientOf(target.connectionString, Client);
      const connecting = client.connect();
      await client.end();
      await expect(connecting).rejects.toMatchObject({
        name: 'NoDatabaseHostError',
        message: `the connection to ${sharedText} was abandoned before it was opened`,
      });
      expect(opens()).toEqual([]);
    });

    it('abandons the connect as well when the client is ended with a callback, which is called', async () => {
      const { Client, target } = setUp([`127.0.0.1:${dead}`, sharedText]);
      const client = clientOf(target.connectionString, Client);
      const connecting = client.connect();
      const ended = vi.fn();
      client.end(ended);
      expect(ended).toHaveBeenCalledTimes(1);
      await expect(connecting).rejects.toMatchObject({ message: `the connection to ${sharedText} was abandoned before it was opened` });
      expect(opens()).toEqual([]);
    });

    it('abandons the connect when its socket is destroyed meanwhile, as a pool does at its connect timeout', async () => {
      const { Client, target } = setUp([`127.0.0.1:${dead}`, sharedText]);
      const client = clientOf(target.connectionString, Client);
      const connecting = client.connect();
      client.connection.stream.destroy();
      await expect(connecting).rejects.toMatchObject({ message: `the connection to ${sharedText} was abandoned before it was opened` });
      expect(opens()).toEqual([]);
    });

    it('ends a connected client with end(callback), calling back once it is closed', async () => {
      const { Client, target } = setUp([`127.0.0.1:${dead}`, sharedText]);
      const client = clientOf(target.connectionString, Client);
      await client.connect();
      await new Promise<void>((resolve) => client.end(() => resolve()));
      await expect(client.query('select 1')).rejects.toThrow(/not queryable/);
    });
  });
});
