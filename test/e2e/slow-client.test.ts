// A client that sends its request a byte at a time cannot hold a connection for long: the whole
// request must arrive within REQUEST_TIMEOUT_MS (its headers within at most 10 s), else the
// server answers 408 and closes the connection. The real binary, a raw socket.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const REQUEST_TIMEOUT_MS = 2_000;

/** Sends `head`, then `drip` one byte every `everyMs`; resolves with what came back and when the server closed. */
function dripFeed(port: number, head: string, drip: string, everyMs: number, giveUpMs: number): Promise<{ closedAfterMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`still open after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < drip.length && socket.writable) socket.write(drip[sent++] as string);
      }, everyMs);
    });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
  });
}

describe('slow clients', () => {
  let robusto: RobustoProcess;
  beforeAll(async () => {
    robusto = await spawnRobusto({ env: { REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), RATE_LIMITS: 'off' } });
    await robusto.waitForReady(30_000);
  });
  afterAll(() => robusto?.destroy());

  it('a sign-in body sent one byte every 500 ms is cut with 408 within about REQUEST_TIMEOUT_MS', async () => {
    const body = JSON.stringify({ tenant: 'default', email: 'admin@localhost', password: 'x'.repeat(40) });
    const head = `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { closedAfterMs, answer } = await dripFeed(robusto.port, head, body, 500, 15_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2_500);
  });

  it('headers sent one byte every 500 ms are cut just as soon', async () => {
    const { closedAfterMs } = await dripFeed(robusto.port, 'GET /health/live HTTP/1.1\r\n', 'Host: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(100), 500, 15_000);
    expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2_500);
  });

  it('a client that sends its request at a normal pace is served', async () => {
    expect((await fetch(robusto.url('/health/live'))).status).toBe(200);
  });
});
