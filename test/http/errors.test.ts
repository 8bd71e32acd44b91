import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUILTIN_MODULES } from '../../src/builtin-modules.js';
import { defineModule } from '../../src/modules/module.js';
import { Type } from '@sinclair/typebox';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { fixtureSource } from '../support/fixtures.js';

const echo = defineModule({
  name: 'echo',
  routes: async (app) => {
    app.post(
      '/',
      {
        config: { public: true },
        schema: {
          body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 10 }), age: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
        },
      },
      async (request) => request.body,
    );
  },
});

describe('errors are problem+json', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      engine: 'sqlite',
      modules: [...BUILTIN_MODULES, fixtureSource('faulty'), { name: 'echo', origin: 'test', load: async () => ({ default: echo }) }],
    });
  });
  afterAll(() => t.close());

  it('a route that throws answers 500 without internals, and the next request succeeds', async () => {
    const failed = await t.app.http.inject({ method: 'GET', url: '/api/faulty/throw' });
    expect(failed.statusCode).toBe(500);
    expect(failed.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = failed.json();
    expect(body).toMatchObject({ status: 500, code: 'ERR_INTERNAL', type: 'urn:robusto:problem:internal', instance: '/api/faulty/throw' });
    expect(body.requestId).toBe(failed.headers['x-request-id']);
    expect(failed.body).not.toMatch(/hunter2|secret\.js|internal detail|at \//);
    const next = await t.app.http.inject({ method: 'GET', url: '/api/faulty/ok' });
    expect(next.statusCode).toBe(200);
    expect(next.json()).toEqual({ ok: true });
    const logged = t.logs.find((l) => l.msg === 'request failed');
    expect(logged).toMatchObject({ code: 'ERR_INTERNAL', requestId: body.requestId });
    expect(JSON.stringify(logged)).not.toContain('hunter2');
  });

  it.each([
    ['unknown route', { method: 'GET', url: '/api/nothing-here' }, 404, 'ERR_ROUTE_NOT_FOUND'],
    ['missing and unknown fields', { method: 'POST', url: '/api/echo', payload: { nme: 'x' } }, 400, 'ERR_VALIDATION'],
    ['wrong types', { method: 'POST', url: '/api/echo', payload: { name: 5, age: 'old' } }, 400, 'ERR_VALIDATION'],
    ['too long', { method: 'POST', url: '/api/echo', payload: { name: 'x'.repeat(11), age: 1 } }, 400, 'ERR_VALIDATION'],
    ['malformed JSON', { method: 'POST', url: '/api/echo', payload: '{"name":', headers: { 'content-type': 'application/json' } }, 400, 'ERR_MALFORMED_JSON'],
    ['empty JSON body', { method: 'POST', url: '/api/echo', payload: '', headers: { 'content-type': 'application/json' } }, 400, 'ERR_MALFORMED_JSON'],
    [
      'not JSON',
      { method: 'POST', url: '/api/echo', payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      415,
      'ERR_UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'over 1 MiB',
      {
        method: 'POST',
        url: '/api/echo',
        payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), age: 1 }),
        headers: { 'content-type': 'application/json' },
      },
      413,
      'ERR_BODY_TOO_LARGE',
    ],
  ] as const)('%s → %s %s', async (_label, request, status, code) => {
    const response = await t.app.http.inject(request as InjectOptions);
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), requestId: expect.any(String) });
  });

  it('lists each invalid field in errors[]', async () => {
    const response = await t.app.http.inject({ method: 'POST', url: '/api/echo', payload: { nme: 'x', age: -1 } });
    const fields = (response.json().errors as Array<{ field: string; in: string }>).map((e) => `${e.in}${e.field}`).sort();
    expect(fields).toEqual(['body/age', 'body/name', 'body/nme']);
  });

  it('every log line is valid JSON', () => {
    expect(t.logs.filter((l) => 'unparsable' in l)).toEqual([]);
  });

  it('honours an incoming X-Request-Id and makes one otherwise', async () => {
    const given = await t.app.http.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    for (const hostile of ['bad id\n with spaces', 'job:stock.expire-lots:1', 'cli-123', 'bootstrap-tenant', 'x'.repeat(65), '<script>', 'a/b']) {
      const unsafe = await t.app.http.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': hostile } });
      expect(unsafe.headers['x-request-id'], hostile).toMatch(/^[0-9a-f-]{36}$/);
    }
    // "request completed" is logged when the response finishes, which may be after inject resolves.
    await vi.waitFor(() =>
      expect(t.logs.filter((l) => l.requestId === 'abc-123')).toMatchObject([
        { msg: 'request completed', method: 'GET', url: '/health/live', statusCode: 200 },
      ]),
    );
  });

  it("a module's request log lines carry the module's name and the request id", async () => {
    await t.app.http.inject({ method: 'POST', url: '/api/echo', headers: { 'x-request-id': 'mod-line-1' }, payload: { name: 'ok', age: 1 } });
    await vi.waitFor(() =>
      expect(t.logs.filter((l) => l.requestId === 'mod-line-1')).toMatchObject([{ msg: 'request completed', module: 'echo', url: '/api/echo' }]),
    );
  });
});

describe('inputs no field accepts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite', modules: [{ name: 'echo', origin: 'test', load: async () => ({ default: echo }) }] });
  });
  afterAll(() => t.close());

  it.each([
    ['a NUL in a body string', { method: 'POST', url: '/api/echo', payload: { name: 'a\u0000b', age: 1 } }, 'body', '/name'],
    ['a NUL in the query string', { method: 'POST', url: '/api/echo?x=a%00', payload: { name: 'ab', age: 1 } }, 'querystring', '/x'],
    [
      'a NUL deep in the body',
      { method: 'POST', url: '/api/echo', payload: { name: 'ab', age: 1, tags: [{ a: 'x' }, { b: ['y', 'z\u0000'] }] } },
      'body',
      '/tags/1/b/1',
    ],
    ['a NUL in a member name', { method: 'POST', url: '/api/echo', payload: { name: 'ab', age: 1, tags: { 'k\u0000': 1 } } }, 'body', '/tags/k\\u0000'],
  ] as const)('%s → 400 naming the field', async (_label, request, where, field) => {
    const response = await t.app.http.inject(request as InjectOptions);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'ERR_VALIDATION', errors: [{ in: where, field }] });
  });
});
