import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local webhook receiver for alert tests: keeps every JSON body POSTed to it. */
export interface AlertReceiver {
  readonly url: string;
  readonly received: Array<{ kind: string; status: string; summary: string; details: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** Starts an {@link AlertReceiver} on 127.0.0.1; `status` is what it answers (200 by default). */
export async function startAlertReceiver(status = 200): Promise<AlertReceiver> {
  const received: AlertReceiver['received'] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(JSON.parse(body) as AlertReceiver['received'][number]);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
