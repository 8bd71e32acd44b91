import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHEAP_REQUEST_CONTEXT,
  currentRequest,
  enterRequestContext,
  registerRequestContext,
  requestIdOf,
  requestsInFlight,
} from '../../src/http/request-context.js';
import { call } from '../support/api.js';
import { createTenantWithUsers } from '../support/auth.js';
import { buildTestApp } from '../support/build-app.js';

const apps: Array<ReturnType<typeof Fastify>> = [];
const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  for (const app of apps.splice(0)) await app.close();
});

/** A server with one route that waits until released and reports what it saw of its context. */
async function serverWithHeldRoute(options: { entered: boolean }) {
  const app = Fastify({ genReqId: requestIdOf });
  apps.push(app);
  registerRequestContext(app);
  if (options.entered) app.addHook('onRequest', (request, _reply, done) => enterRequestContext(request, done));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  releases.push(release);
  app.get('/held', async () => {
    await held;
    // After an await, and inside a timer the handler started.
    const inTimer = await new Promise((resolve) => setTimeout(() => resolve(currentRequest()), 1));
    return { afterAwait: currentRequest() ?? null, inTimer: inTimer ?? null };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/held`, release };
}

describe('request context', () => {
  it('lists the requests in flight, and forgets each once answered', async () => {
    const { url, release } = await serverWithHeldRoute({ entered: false });
    const before = requestsInFlight().length;
    const answer = fetch(url, { headers: { 'x-request-id': 'held-1' } });
    await expect.poll(() => requestsInFlight().map((r) => r.requestId)).toContain('held-1');
    expect(requestsInFlight().find((r) => r.requestId === 'held-1')).toEqual({ requestId: 'held-1', method: 'GET', url: '/held' });
    release();
    const body = await (await answer).json();
    expect(body).toEqual({ afterAwait: null, inTimer: null });
    await expect.poll(() => requestsInFlight().length).toBe(before);
  });

  it('forgets a request whose client went away before the answer', async () => {
    const { url } = await serverWithHeldRoute({ entered: false });
    const abort = new AbortController();
    const answer = fetch(url, { headers: { 'x-request-id': 'gone-1' }, signal: abort.signal }).catch(() => 'aborted');
    await expect.poll(() => requestsInFlight().map((r) => r.requestId)).toContain('gone-1');
    abort.abort();
    expect(await answer).toBe('aborted');
    // The handler is still waiting, yet the request is no longer listed.
    await expect.poll(() => requestsInFlight().map((r) => r.requestId)).not.toContain('gone-1');
  });

  it('once entered, currentRequest() names the request after awaits and in its timers', async () => {
    const { url, release } = await serverWithHeldRoute({ entered: true });
    const answer = fetch(url, { headers: { 'x-request-id': 'held-2' } });
    await expect.poll(() => requestsInFlight().map((r) => r.requestId)).toContain('held-2');
    release();
    const context = { requestId: 'held-2', method: 'GET', url: '/held' };
    expect(await (await answer).json()).toEqual({ afterAwait: context, inTimer: context });
  });

  it.runIf(Number(process.versions.node.split('.')[0]) >= 24)(
    "on Node.js 24 a built-in module's request runs in its context too, down to its SQL",
    async () => {
      expect(CHEAP_REQUEST_CONTEXT).toBe(true);
      const seen: Array<string | undefined> = [];
      const t = await buildTestApp({
        engine: 'sqlite',
        onQuery: (sql) => (sql.startsWith('select') && sql.includes('from "students"') ? seen.push(currentRequest()?.requestId) : undefined),
      });
      try {
        const tenant = await createTenantWithUsers(t, 'context');
        const response = await call(t, tenant, { method: 'GET', url: '/api/students?limit=5', as: 'staff' });
        expect(response.statusCode).toBe(200);
        expect(seen).toEqual([response.headers['x-request-id']]);
      } finally {
        await t.close();
      }
    },
  );
});
