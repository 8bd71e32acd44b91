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
    const slow = fetch(robusto.url('/api/faulty/slow?ms=10000')).then((r) => r.status, () => 'cut');
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
