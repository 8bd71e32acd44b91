// The OpenAPI document against what robusto really answers: every operation of the served
// /docs/json is called with no token, as a viewer, twice as an owner (with the installation role),
// with an id that does not exist, and with a body that is broken JSON or not JSON at all. Every
// status answered must be one the document declares for that operation, and every problem's code
// one of the examples it gives for that status.
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/shared/ids.js';
import { createTenantWithUsers, setInstallationRole, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { fixtureModule } from '../support/fixtures.js';

interface Media {
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}
interface Call {
  method: string;
  url: string;
  op: Operation;
  name: string;
}

/** The order calls run in: what creates things first, what reads and changes them next, deletes, then signing out. */
function rank({ method, url }: Call): number {
  if (url.endsWith('/logout')) return 5;
  if (method === 'delete') return 4;
  if (method === 'post' && !url.includes('{')) return 1;
  if (method === 'get') return 2;
  return 3;
}

/** The collection a path's `{id}` belongs to: `/api/students/{id}/deactivate` → `/api/students`. */
function collectionOf(url: string): string {
  return url.slice(0, url.indexOf('/{'));
}

function exampleBody(op: Operation): unknown {
  const media = op.requestBody?.content['application/json'];
  return media?.example ?? Object.values(media?.examples ?? {})[0]?.value;
}

/** The example body with each `<thing>Id` member naming a `<thing>` this run created, when there is one. */
function withKnownIds(body: unknown, ids: Map<string, string>): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const key of Object.keys(copy)) {
    const thing = /^([a-z]+)Id$/.exec(key)?.[1];
    const known = thing && [...ids.entries()].find(([collection]) => collection.split('/').at(-1)?.startsWith(thing))?.[1];
    if (known) copy[key] = known;
  }
  return copy;
}

describe('what every operation answers, against the OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite', env: { ROBUSTO_MODULES: fixtureModule('notes') } });
    doc = (await t.app.http.inject('/docs/json')).json();
    tenant = await createTenantWithUsers(t, 'answers');
    await setInstallationRole(t, tenant, 'owner');
  }, 60_000);
  afterAll(() => t?.close());

  it('answers only statuses the document declares, with codes it lists for them', async () => {
    const calls: Call[] = Object.entries(doc.paths)
      .flatMap(([url, methods]) => Object.entries(methods).map(([method, op]) => ({ method, url, op, name: `${method} ${url}` })))
      .sort((a, b) => rank(a) - rank(b));
    const ids = new Map<string, string>();
    const undeclared: string[] = [];
    const seen = new Set<string>();
    const check = (call: Call, who: string, response: LightMyRequestResponse) => {
      const status = String(response.statusCode);
      seen.add(`${call.name} ${status}`);
      const declared = call.op.responses[status];
      if (!declared) return void undeclared.push(`${call.name} as ${who}: ${status} is not declared (${response.body.slice(0, 200)})`);
      if (response.statusCode < 400) return;
      const media = declared.content?.['application/problem+json'];
      const code = (response.json() as { code?: string }).code ?? '';
      if (!String(response.headers['content-type']).startsWith('application/problem+json'))
        undeclared.push(`${call.name} as ${who}: ${status} is not problem+json`);
      if (!Object.keys(media?.examples ?? {}).includes(code)) undeclared.push(`${call.name} as ${who}: ${status} ${code} is not listed for ${status}`);
    };

    for (const call of calls) {
      const id = ids.get(collectionOf(call.url)) ?? newId();
      const url = call.url.replace(/\{[A-Za-z]+\}/g, id);
      const method = call.method.toUpperCase() as 'GET';
      const body = call.op.requestBody ? withKnownIds(exampleBody(call.op), ids) : undefined;
      const send = (headers: Record<string, string>, payload?: string, to = url) =>
        t.app.http.inject({ method, url: to, headers: { ...headers, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, payload });
      const json = body === undefined ? undefined : JSON.stringify(body);
      if (call.url.includes('{')) {
        check(call, 'an owner, with an id that does not exist', await send(tenant.as('owner'), json, call.url.replace(/\{[A-Za-z]+\}/g, newId())));
      }
      check(call, 'nobody', await send({}, json));
      check(call, 'a viewer', await send(tenant.as('viewer'), json));
      if (method !== 'GET') {
        check(call, 'an owner, with broken JSON', await send(tenant.as('owner'), '{"broken": '));
        const plain = await t.app.http.inject({ method, url, headers: { ...tenant.as('owner'), 'content-type': 'text/plain' }, payload: 'hello' });
        check(call, 'an owner, with a body that is not JSON', plain);
      }
      for (const time of ['once', 'twice']) {
        const answer = await send(tenant.as('owner'), json);
        check(call, `an owner, ${time}`, answer);
        const created = answer.statusCode === 201 ? (answer.json() as { id?: unknown }).id : undefined;
        if (typeof created === 'string' && !call.url.includes('{')) ids.set(call.url, created);
      }
    }
    expect(undeclared).toEqual([]);
    // The run reaches the answers that matter, not only refusals.
    expect([...seen]).toEqual(
      expect.arrayContaining([
        'post /api/students 201',
        'post /api/students 409',
        'patch /api/students/{id} 200',
        'patch /api/customers/{id} 409',
        'delete /api/products/{id} 409',
        'post /api/stock/lots 201',
        'post /api/auth/users 201',
        'get /api/notes/{id} 200',
        'get /api/notes/{id} 404',
        'post /api/system/dead-letters/{id}/retry 404',
        'post /api/auth/logout 200',
      ]),
    );
  }, 120_000);
});
