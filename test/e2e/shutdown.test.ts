import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FATAL_DRAIN_MS } from '../../src/runtime/process-handlers.js';
import { fixtureModule } from '../support/fixtures.js';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const running: RobustoProcess[] = [];
afterEach(async () => {
  for (const robusto of running.splice(0)) await robusto.destroy();
});

async function startedWithFaulty(env: Record<string, string> = {}): Promise<RobustoProcess> {
  // debug: the tests wait for the "incoming request" line of their slow request
  const robusto = await spawnRobusto({ env: { ROBUSTO_MODULES: fixtureModule('faulty'), LOG_LEVEL: 'debug', ...env } });
  running.push(robusto);
  await robusto.waitForReady();
  return robusto;
}

async function canBind(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A connection with `GET /health/ready` begun on it (headers unfinished); `finish()` sends the
 * rest and resolves with the answer's status and JSON body.
 */
async function readinessProbe(port: number): Promise<{ finish(): Promise<{ status: number; body: unknown }> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write('GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  return {
    async finish() {
      socket.write('Connection: close\r\n\r\n');
      await ended;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      return {
        status,
        body: JSON.parse(
          /^[0-9a-f]+\r\n/i.test(body)
            ? body
                .replace(/^[0-9a-f]+\r\n/i, '')
                .replace(/\r\n0\r\n\r\n$/, '')
                .replace(/\r\n$/, '')
            : body,
        ) as unknown,
      };
    },
  };
}

describe('graceful shutdown', () => {
  it('SIGTERM during a slow request: the request completes, exit 0, the port is free at once', async () => {
    const robusto = await startedWithFaulty();
    const slow = fetch(robusto.url('/api/faulty/slow?ms=1500'));
    await robusto.waitForLine((l) => l.msg === 'incoming request' && String(l.url).startsWith('/api/faulty/slow'));
    robusto.child.kill('SIGTERM');
    const response = await slow;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ waited: 1500 });
    expect(await robusto.exited).toBe(0);
    expect(await canBind(robusto.port)).toBe(true);
    expect(robusto.lines().map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: finishing in-flight requests', 'stopped']));
  });

  it('SIGTERM during a slow request: /health/ready answers 503 "draining" all through the drain, new connections are refused, the request is answered, exit 0', async () => {
    const robusto = await startedWithFaulty();
    // Connections a load balancer holds, each with a readiness request begun (its headers not
    // finished): the server counts them as busy, so the drain keeps them; each is finished later.
    const probes = await Promise.all(Array.from({ length: 6 }, () => readinessProbe(robusto.port)));
    const baseline = await readinessProbe(robusto.port);
    expect(await baseline.finish()).toMatchObject({ status: 200, body: { status: 'pass', output: 'ready' } });

    let answered = false;
    const slow = fetch(robusto.url('/api/faulty/slow?ms=5000')).then(async (r) => {
      answered = true;
      return { status: r.status, body: await r.json() };
    });
    await robusto.waitForLine((l) => l.msg === 'incoming request' && String(l.url).startsWith('/api/faulty/slow'));
    robusto.child.kill('SIGTERM');
    await robusto.waitForLine((l) => l.msg === 'shutting down: finishing in-flight requests');
    const during: Array<{ status: number; body: unknown; whileInFlight: boolean }> = [];
    for (const probe of probes) {
      const result = await probe.finish();
      during.push({ ...result, whileInFlight: !answered });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // a new connection is not taken any more
    await expect(fetch(robusto.url('/health/ready'))).rejects.toThrow();
    const inFlight = await slow;
    expect(during).toEqual(
      Array.from({ length: 6 }, () => ({ status: 503, body: expect.objectContaining({ status: 'fail', output: 'draining' }), whileInFlight: true })),
    );
    expect(inFlight).toEqual({ status: 200, body: { waited: 5000 } });
    expect(await robusto.exited).toBe(0);
  }, 30_000);

  it('SHUTDOWN_DELAY_MS: after SIGTERM, /health/ready answers 503 "leaving" while new connections are still served (Connection: close) for the delay; then they are refused, exit 0', async () => {
    const robusto = await startedWithFaulty({ SHUTDOWN_DELAY_MS: '1500' });
    const signalled = Date.now();
    robusto.child.kill('SIGTERM');
    await robusto.waitForLine((l) => l.msg === 'leaving: readiness off, still serving until the load balancer stops sending');
    const ready = await fetch(robusto.url('/health/ready'));
    const served = await fetch(robusto.url('/api/faulty/slow?ms=10'));
    const servedAt = Date.now() - signalled;
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'fail', output: 'leaving' });
    expect(served.status).toBe(200);
    expect(served.headers.get('connection')).toBe('close');
    expect(await served.json()).toEqual({ waited: 10 });
    expect(servedAt).toBeLessThan(1500);
    await robusto.waitForLine((l) => l.msg === 'shutting down: finishing in-flight requests');
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1500);
    expect(await robusto.exited).toBe(0);
    await expect(fetch(robusto.url('/health/ready'))).rejects.toThrow();
  });

  it('SHUTDOWN_DELAY_MS under "robusto start": SIGTERM to the supervisor, its worker keeps serving with /health/ready 503 "leaving" for the delay, then stops; exit 0', async () => {
    const robusto = await spawnRobusto({ args: ['start'], env: { ROBUSTO_MODULES: fixtureModule('faulty'), WORKERS: '1', SHUTDOWN_DELAY_MS: '1500' } });
    running.push(robusto);
    await robusto.waitForReady(30_000);
    const signalled = Date.now();
    robusto.child.kill('SIGTERM');
    const leaving = await robusto.waitForLine((l) => l.msg === 'leaving: readiness off, still serving until the load balancer stops sending');
    const ready = await fetch(robusto.url('/health/ready'));
    const served = await fetch(robusto.url('/api/faulty/slow?ms=10'));
    expect(Date.now() - signalled).toBeLessThan(1500);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'fail', output: 'leaving' });
    expect(served.status).toBe(200);
    expect(served.headers.get('connection')).toBe('close');
    expect(await robusto.exited).toBe(0);
    expect(Date.now() - signalled).toBeGreaterThanOrEqual(1500);
    expect(leaving).toMatchObject({ delayMs: 1500 });
    expect(robusto.lines().find((l) => l.msg === 'shutting down: finishing in-flight requests')).toMatchObject({ reason: 'supervisor stopping' });
  }, 45_000);

  it('a second signal exits at once with 1', async () => {
    const robusto = await startedWithFaulty();
    const slow = fetch(robusto.url('/api/faulty/slow?ms=8000')).catch(() => undefined);
    await robusto.waitForLine((l) => l.msg === 'incoming request' && String(l.url).startsWith('/api/faulty/slow'));
    robusto.child.kill('SIGTERM');
    await robusto.waitForLine((l) => l.msg === 'shutting down: finishing in-flight requests');
    const started = Date.now();
    robusto.child.kill('SIGINT');
    expect(await robusto.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
    await slow;
  });

  it('in-flight requests past SHUTDOWN_TIMEOUT_MS are cut and the process still ends (exit 1)', async () => {
    const robusto = await startedWithFaulty({ SHUTDOWN_TIMEOUT_MS: '500' });
    const slow = fetch(robusto.url('/api/faulty/slow?ms=10000')).then(
      (r) => r.status,
      () => 'cut',
    );
    await robusto.waitForLine((l) => l.msg === 'incoming request' && String(l.url).startsWith('/api/faulty/slow'));
    const started = Date.now();
    robusto.child.kill('SIGTERM');
    expect(await robusto.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await slow).toBe('cut');
    expect(robusto.lines().some((l) => l.msg === 'shutdown deadline passed; cutting the remaining connections')).toBe(true);
  });

  it('an uncaught exception is logged as fatal with the request it came from, then the process stops with 1', async () => {
    const robusto = await startedWithFaulty();
    const response = await fetch(robusto.url('/api/faulty/crash-later'), { headers: { 'x-request-id': 'crash-req-1' } });
    expect(response.status).toBe(200);
    expect(await robusto.exited).toBe(1);
    const fatal = robusto.lines().find((l) => l.msg === 'uncaught exception; shutting down');
    expect(fatal).toMatchObject({ level: 60, request: { requestId: 'crash-req-1', method: 'GET', url: '/api/faulty/crash-later' } });
    expect(JSON.stringify(fatal)).toMatch(/asynchronous crash outside any promise/);
    // The request had been answered: it is no longer among those in flight.
    expect(fatal?.requestsInFlight).toEqual([]);
    expect(robusto.lines().some((l) => l.msg === 'stopped')).toBe(true);
  });

  it(`an uncaught exception lists the requests in flight; they get ${FATAL_DRAIN_MS} ms to finish: one that ends within it is answered, a longer one is cut there, whatever SHUTDOWN_TIMEOUT_MS says`, async () => {
    const robusto = await startedWithFaulty({ SHUTDOWN_TIMEOUT_MS: '30000' });
    const long = fetch(robusto.url('/api/faulty/slow?ms=15000'), { headers: { 'x-request-id': 'long-req' } }).then(
      (r) => ({ status: r.status, at: Date.now() }),
      () => ({ status: 'cut', at: Date.now() }),
    );
    await robusto.waitForLine((l) => l.msg === 'incoming request' && String(l.url).startsWith('/api/faulty/slow'));
    const crashedAt = Date.now();
    const short = await fetch(robusto.url('/api/faulty/crash-during'), { headers: { 'x-request-id': 'crash-req-2' } });
    // crash-during throws 50 ms in, then answers after 1 s: within the drain
    expect(short.status).toBe(200);
    expect(await short.json()).toEqual({ answered: true });
    const ended = await long;
    expect(ended.status).toBe('cut');
    // cut at the drain's end, not after 15 s or SHUTDOWN_TIMEOUT_MS
    expect(ended.at - crashedAt).toBeGreaterThanOrEqual(FATAL_DRAIN_MS);
    expect(ended.at - crashedAt).toBeLessThan(FATAL_DRAIN_MS + 8_000);
    expect(await robusto.exited).toBe(1);
    const fatal = robusto.lines().find((l) => l.msg === 'uncaught exception; shutting down');
    expect(fatal).toMatchObject({ level: 60, request: { requestId: 'crash-req-2' } });
    expect((fatal?.requestsInFlight as Array<{ requestId: string }>).map((r) => r.requestId).sort()).toEqual(['crash-req-2', 'long-req']);
    expect(robusto.lines().find((l) => l.msg === 'shutdown deadline passed; cutting the remaining connections')).toMatchObject({ timeoutMs: FATAL_DRAIN_MS });
  }, 60_000);
});
