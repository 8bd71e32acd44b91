import net from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A tiny echo server on 127.0.0.1:0 that tracks its sockets so it can be closed. */
async function startEchoServer(): Promise<{ port: number; sockets: Set<net.Socket>; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client socket that records everything it receives and how it ended. */
interface TestClient {
  socket: net.Socket;
  received: () => string;
  closed: Promise<{ error: NodeJS.ErrnoException | undefined }>;
}

function connectClient(port: number): TestClient {
  const socket = net.connect({ host: '127.0.0.1', port });
  let data = '';
  let error: NodeJS.ErrnoException | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    data += chunk;
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    error = err;
  });
  const closed = new Promise<{ error: NodeJS.ErrnoException | undefined }>((resolve) => {
    socket.on('close', () => resolve({ error }));
  });
  return { socket, received: () => data, closed };
}

async function connected(client: TestClient): Promise<void> {
  if (!client.socket.connecting) return;
  await new Promise<void>((resolve, reject) => {
    client.socket.once('connect', resolve);
    client.socket.once('close', () => reject(new Error('closed before connecting')));
  });
}

/** Waits until `predicate()` is true, failing after `timeoutMs`. */
async function waitFor(predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('fault proxy (echo server)', () => {
  let echo: Awaited<ReturnType<typeof startEchoServer>>;
  let proxy: FaultProxy;
  const clients: TestClient[] = [];

  const client = (): TestClient => {
    const c = connectClient(proxy.port);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    echo = await startEchoServer();
  });
  afterAll(async () => {
    await echo.close();
  });
  beforeEach(async () => {
    proxy = await startFaultProxy({ host: '127.0.0.1', port: echo.port });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
  });

  it('forwards traffic in pass mode', async () => {
    expect(proxy.mode()).toBe('pass');
    const c = client();
    c.socket.write('hello');
    await waitFor(() => c.received() === 'hello', 2000, 'echo');
    expect(proxy.connections()).toBe(1);
  });

  it('holds bytes while stalled and flushes them on pass()', async () => {
    const c = client();
    c.socket.write('before');
    await waitFor(() => c.received() === 'before', 2000, 'first echo');

    proxy.stall();
    expect(proxy.mode()).toBe('stall');
    c.socket.write('-held');
    // A connection opened during the stall is accepted but stalled too.
    const late = client();
    late.socket.write('late');
    await sleep(300);
    expect(c.received()).toBe('before');
    expect(late.received()).toBe('');
    expect(c.socket.destroyed).toBe(false);

    proxy.pass();
    await waitFor(() => c.received() === 'before-held', 2000, 'held bytes');
    await waitFor(() => late.received() === 'late', 2000, 'late connection bytes');
  });

  it('refuses new connections but keeps existing ones in refuse mode', async () => {
    const existing = client();
    existing.socket.write('a');
    await waitFor(() => existing.received() === 'a', 2000, 'echo');

    proxy.refuse();
    expect(proxy.mode()).toBe('refuse');
    const refused = client();
    refused.socket.write('x');
    const { error } = await withTimeout(refused.closed, 2000, 'refused connection to close');
    if (error) expect(['ECONNRESET', 'EPIPE']).toContain(error.code);
    expect(refused.received()).toBe('');

    existing.socket.write('b');
    await waitFor(() => existing.received() === 'ab', 2000, 'echo on the existing connection');
  });

  it('resets existing connections on resetAll()', async () => {
    const c = client();
    c.socket.write('ping');
    await waitFor(() => c.received() === 'ping', 2000, 'echo');
    expect(echo.sockets.size).toBeGreaterThan(0);

    proxy.resetAll();
    const { error } = await withTimeout(c.closed, 2000, 'client to close');
    if (error) expect(error.code).toBe('ECONNRESET');
    await waitFor(() => proxy.connections() === 0, 2000, 'no live connections');
    await waitFor(() => echo.sockets.size === 0, 2000, 'upstream side to close');
    // resetAll() alone does not refuse: a new connection works.
    const fresh = client();
    fresh.socket.write('again');
    await waitFor(() => fresh.received() === 'again', 2000, 'echo on a new connection');
  });

  it('cut() resets existing connections and refuses new ones', async () => {
    const c = client();
    c.socket.write('ping');
    await waitFor(() => c.received() === 'ping', 2000, 'echo');
    proxy.cut();
    await withTimeout(c.closed, 2000, 'existing client to close');
    const refused = client();
    await withTimeout(refused.closed, 2000, 'new client to close');
    expect(proxy.connections()).toBe(0);
  });

  it('delays each chunk in latency mode and keeps byte order', async () => {
    const c = client();
    await connected(c);
    proxy.latency(200);
    expect(proxy.mode()).toBe('latency');

    const started = Date.now();
    c.socket.write('x');
    await waitFor(() => c.received() === 'x', 3000, 'delayed echo');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);

    let expected = 'x';
    for (let i = 0; i < 30; i += 1) {
      const piece = `<${i}>`;
      expected += piece;
      c.socket.write(piece);
      await sleep(i % 3 === 0 ? 7 : 0);
    }
    await waitFor(() => c.received().length === expected.length, 5000, 'all delayed chunks');
    expect(c.received()).toBe(expected);
  });

  it('close() resolves and destroys live connections', async () => {
    const c = client();
    c.socket.write('ping');
    await waitFor(() => c.received() === 'ping', 2000, 'echo');
    proxy.stall();
    await withTimeout(proxy.close(), 2000, 'close()');
    await withTimeout(c.closed, 2000, 'client to close');
    // afterEach calls close() again: it must still resolve.
  });

  it('rewrites a database URL to point at the proxy', () => {
    expect(proxy.url('postgres://postgres@127.0.0.1:5432/test')).toBe(`postgres://postgres@127.0.0.1:${proxy.port}/test`);
    expect(proxy.url('postgres://u:p@db.example.com/app?sslmode=disable')).toBe(`postgres://u:p@127.0.0.1:${proxy.port}/app?sslmode=disable`);
  });
});

describe('fault proxy (real PostgreSQL on 127.0.0.1:5432)', () => {
  const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
  let proxy: FaultProxy;
  const clients: pg.Client[] = [];

  const newClient = (): pg.Client => {
    const client = new pg.Client({ connectionString: proxy.url(DATABASE_URL), connectionTimeoutMillis: 5000 });
    client.on('error', () => {
      /* expected once the proxy cuts the connection */
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    proxy = await startFaultProxy({ host: '127.0.0.1', port: 5432 });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await proxy.close();
  });

  it('passes queries, fails them after cut() and recovers after pass()', async () => {
    const first = newClient();
    await first.connect();
    const ok = await first.query<{ one: number }>('SELECT 1 AS one');
    expect(ok.rows[0]?.one).toBe(1);

    proxy.cut();
    await expect(first.query('SELECT 1')).rejects.toThrow();
    const during = newClient();
    await expect(during.connect()).rejects.toThrow();

    proxy.pass();
    const second = newClient();
    await second.connect();
    const again = await second.query<{ one: number }>('SELECT 1 AS one');
    expect(again.rows[0]?.one).toBe(1);
  });
});
