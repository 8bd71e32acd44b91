// The OpenAPI document as a contract: every operation says what it really answers (its success,
// a 202 receipt for writes that can be journaled, the problems with real codes), with the headers
// robusto sends, stable operation ids, named components and examples that validate; a module
// loaded from ROBUSTO_MODULES gets the same without any work of its author; `redocly lint` with
// the recommended rules finds nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODULES } from '../../src/builtin-modules.js';
import type { ModuleRouter, ModuleSource } from '../../src/modules/module.js';
import { isValidCnpj, isValidCpf } from '../../src/shared/documents.js';
import { registeredErrors } from '../../src/shared/error-registry.js';
import { CUSTOM_FORMATS } from '../../src/shared/schemas.js';
import { createTenantWithUsers } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';
import { fixtureModule } from '../support/fixtures.js';

/** An id nothing has. */
const EXAMPLE_UUID = '0190f5e2-7c4a-7b8e-9d3f-2a1b4c5d6e7f';

type Json = Record<string, unknown>;
interface Media {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, Media>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, Response>;
}
interface Document {
  openapi: string;
  info: { license?: { name: string } };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

const run = promisify(execFile);
const WRITES = new Set(['post', 'put', 'patch', 'delete']);
/** The writes that do not go through the write path: sign-in, the console's own writes to the journal, and its actions (a replay round, a backup). */
const NOT_JOURNALED = [
  'post /api/auth/login',
  'post /api/system/dead-letters/{id}/retry',
  'post /api/system/dead-letters/{id}/discard',
  'post /api/system/journal/replay',
  'post /api/system/backups',
];

function operationsOf(doc: Document) {
  return Object.entries(doc.paths).flatMap(([url, methods]) => Object.entries(methods).map(([method, op]) => ({ url, method, op, name: `${method} ${url}` })));
}

/** A validator for the document's schemas, with robusto's own formats (cpf, cnpj, real-date). */
function validatorOf(doc: Document) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  for (const [name, validate] of Object.entries(CUSTOM_FORMATS)) ajv.addFormat(name, { type: 'string', validate });
  const compiled = new Map<Json, ReturnType<typeof ajv.compile>>();
  // `#/components/schemas/…` resolves against the root of the schema being compiled.
  return (schema: Json, value: unknown) => {
    const validate = compiled.get(schema) ?? ajv.compile({ ...schema, components: doc.components });
    compiled.set(schema, validate);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  };
}

describe('the OpenAPI contract', () => {
  let t: TestApp;
  let doc: Document;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite', env: { ROBUSTO_MODULES: `${fixtureModule('notes')},${fixtureModule('faulty')}` } });
    const response = await t.app.http.inject('/docs/json');
    expect(response.statusCode).toBe(200);
    doc = response.json();
  }, 60_000);
  afterAll(() => t?.close());

  it('names its server, license, tags and components, and has no trailing slash in a path', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(doc.info.license?.name).toBe('MIT');
    for (const tag of doc.tags ?? []) expect(tag.description, tag.name).toBeTruthy();
    expect(doc.tags?.map((tag) => tag.name)).toEqual(expect.arrayContaining(['auth', 'customers', 'students', 'stock', 'system', 'receipts', 'notes']));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Problem', 'Receipt', 'Student', 'Customer', 'Product', 'StockLot']));
    expect(Object.keys(doc.components.schemas).filter((name) => /^def-\d+$/.test(name))).toEqual([]);
    expect(Object.keys(doc.paths).filter((url) => url.length > 1 && url.endsWith('/'))).toEqual([]);
  });

  it('serves every documented collection with and without a trailing slash', async () => {
    const tenant = await createTenantWithUsers(t, 'contract');
    for (const url of ['/api/students', '/api/students/', '/api/customers', '/api/customers/']) {
      const response = await t.app.http.inject({ url, headers: tenant.as('viewer') });
      expect(response.statusCode, url).toBe(200);
    }
  });

  it('gives each operation a unique operation id, a summary, a tag and described successes', () => {
    const operations = operationsOf(doc);
    const ids = operations.map(({ op }) => op.operationId);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const byName = Object.fromEntries(operations.map(({ name, op }) => [name, op.operationId]));
    expect(byName).toMatchObject({
      'post /api/students': 'students.register',
      'patch /api/students/{id}': 'students.update',
      'post /api/students/{id}/deactivate': 'students.deactivate',
      'get /api/students': 'students.list',
      'post /api/customers': 'customers.create',
      'delete /api/customers/{id}': 'customers.delete',
      'post /api/auth/users': 'auth.create_user',
      'post /api/stock/use': 'stock.use',
      'post /api/notes': 'notes.create',
      'get /api/notes/{id}': 'notes.get',
    });
    for (const { name, op } of operations) {
      expect(op.summary, name).toBeTruthy();
      expect(op.tags?.length, name).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${name} ${status}`).not.toBe('Default Response');
        expect(response.headers, `${name} ${status}`).toHaveProperty('X-Request-Id');
        if (Number(status) < 300) expect(response.headers, `${name} ${status}`).toHaveProperty('X-RateLimit-Remaining');
      }
    }
  });

  it('declares the 202 receipt, Location and Idempotency-Key on every write through the write path, and only there', () => {
    const writes = operationsOf(doc).filter(({ method }) => WRITES.has(method));
    expect(writes.length).toBeGreaterThan(15);
    for (const { name, op } of writes) {
      const journaled = !NOT_JOURNALED.includes(name);
      const accepted = op.responses['202'];
      const key = op.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      if (!journaled) {
        expect(accepted, name).toBeUndefined();
        expect(key, name).toBeUndefined();
        if (!name.includes('/journal/') && !name.includes('/backups')) expect(op.description, name).toContain('Does not honour `Idempotency-Key`');
        continue;
      }
      expect(accepted?.content?.['application/json']?.schema, name).toEqual({ $ref: '#/components/schemas/Receipt' });
      expect(Object.keys(accepted?.headers ?? {}), name).toEqual(expect.arrayContaining(['Location', 'Idempotent-Replayed']));
      expect(key, name).toBeDefined();
      expect(Object.keys(op.responses), name).toContain('422');
      const success = Object.entries(op.responses).find(([status]) => status.startsWith('20') && status !== '202');
      expect(success?.[1].headers, name).toHaveProperty('Idempotent-Replayed');
    }
    expect(doc.components.schemas.Receipt).toMatchObject({ required: expect.arrayContaining(['receipt', 'status']) });
  });

  it('declares every problem as application/problem+json with examples whose codes the registry gives that status', () => {
    const statusOf = new Map(registeredErrors().map((e) => [e.code, e.status]));
    for (const { name, url, op } of operationsOf(doc)) {
      const problems = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
      const statuses = problems.map(([status]) => status);
      expect(statuses, name).toEqual(expect.arrayContaining(['429', '503']));
      if (name !== 'post /api/auth/login' && !url.startsWith('/api/faulty')) expect(statuses, name).toContain('401');
      if (op.requestBody) expect(statuses, name).toEqual(expect.arrayContaining(['400', '413', '415']));
      for (const [status, response] of problems) {
        expect(Object.keys(response.content ?? {}), `${name} ${status}`).toEqual(['application/problem+json']);
        const media = response.content?.['application/problem+json'];
        expect(media?.schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        const examples = Object.values(media?.examples ?? {});
        expect(examples.length, `${name} ${status}`).toBeGreaterThan(0);
        for (const { value } of examples) {
          const problem = value as { code: string; status: number };
          expect(problem.status, `${name} ${status}`).toBe(Number(status));
          // A module without codes of its own (notes) answers its own 4xx as ERR_BAD_REQUEST with that status.
          if (problem.code === 'ERR_BAD_REQUEST' && url.startsWith('/api/notes')) continue;
          expect(statusOf.get(problem.code), `${name} ${status} ${problem.code}`).toBe(Number(status));
        }
        if (status === '429' || status === '503') expect(response.headers, `${name} ${status}`).toHaveProperty('Retry-After');
      }
    }
    const examplesOf = (op: Operation | undefined, status: string) => Object.keys(op?.responses[status]?.content?.['application/problem+json']?.examples ?? {});
    expect(examplesOf(doc.paths['/api/students']?.post, '401')).toContain('ERR_AUTH_REQUIRED');
    expect(examplesOf(doc.paths['/api/students']?.post, '403')).toContain('ERR_AUTH_FORBIDDEN');
    expect(examplesOf(doc.paths['/api/students/{id}']?.get, '404')[0]).toBe('ERR_STUDENT_NOT_FOUND');
    expect(examplesOf(doc.paths['/api/students']?.post, '409')).toEqual(['ERR_STUDENT_CPF_TAKEN']);
    expect(examplesOf(doc.paths['/api/auth/login']?.post, '401')).toEqual(['ERR_AUTH_INVALID_CREDENTIALS']);
  });

  // Each route's problems follow from its configuration (sign-in public, a permission, a method
  // that takes a body, a path parameter, a write through the write path) and the codes its
  // `config.errors` names.
  it.each([
    ['get /api/students', [400, 401, 429, 503]],
    ['get /api/students/{id}', [400, 401, 404, 429, 503]],
    ['post /api/students', [400, 401, 403, 409, 413, 415, 422, 429, 503]],
    ['post /api/students/{id}/deactivate', [400, 401, 403, 404, 413, 415, 422, 429, 503]],
    ['post /api/auth/login', [400, 401, 413, 415, 429, 503]],
    ['get /api/auth/me', [401, 404, 429, 503]],
    ['post /api/stock/lots', [400, 401, 403, 404, 409, 413, 415, 422, 429, 503]],
    ['post /api/system/dead-letters/{id}/retry', [400, 401, 403, 404, 409, 413, 415, 429, 503]],
    ['post /api/system/journal/replay', [400, 401, 403, 413, 415, 429, 500, 503]],
    ['get /api/system/info', [401, 403, 429, 503]],
    ['post /api/notes', [400, 401, 403, 409, 413, 415, 422, 429, 503]],
    ['get /api/notes/{id}', [400, 401, 404, 429, 503]],
  ])('declares for %s exactly the problems its configuration implies', (name, statuses) => {
    const [method = '', url = ''] = name.split(' ');
    const responses = doc.paths[url]?.[method]?.responses ?? {};
    expect(
      Object.keys(responses)
        .map(Number)
        .filter((status) => status >= 400),
    ).toEqual(statuses);
  });

  it.each([
    ['post /api/students/{id}/deactivate', '404', ['ERR_STUDENT_NOT_FOUND']],
    ['post /api/stock/lots', '404', ['ERR_PRODUCT_NOT_FOUND']],
    ['post /api/stock/lots', '409', ['ERR_STOCK_LOT_CODE_TAKEN']],
    ['patch /api/customers/{id}', '409', ['ERR_CUSTOMER_DOCUMENT_TAKEN', 'ERR_CUSTOMER_VERSION_CONFLICT']],
    ['post /api/system/dead-letters/{id}/retry', '409', ['ERR_DEAD_LETTER_AUTHOR_LACKS_RIGHT']],
    ['post /api/auth/login', '429', ['ERR_AUTH_RATE_LIMITED', 'ERR_RATE_LIMITED']],
    ['post /api/notes', '409', ['ERR_BAD_REQUEST']],
  ])('gives %s %s exactly the codes its route names', (name, status, codes) => {
    const [method = '', url = ''] = name.split(' ');
    const media = doc.paths[url]?.[method]?.responses[status]?.content?.['application/problem+json'];
    expect(Object.keys(media?.examples ?? {})).toEqual(codes);
  });

  it('has a request body example a person can send for every write, valid against its own schema', () => {
    const validate = validatorOf(doc);
    const bodies = operationsOf(doc).filter(({ op }) => op.requestBody);
    expect(bodies.length).toBeGreaterThan(12);
    for (const { name, op } of bodies) {
      const media = op.requestBody?.content['application/json'];
      const examples = media?.example !== undefined ? [media.example] : Object.values(media?.examples ?? {}).map((e) => e.value);
      expect(examples.length, name).toBeGreaterThan(0);
      for (const example of examples) expect(validate(media?.schema ?? {}, example), `${name}: ${JSON.stringify(example)}`).toEqual([]);
    }
    const student = doc.paths['/api/students']?.post?.requestBody?.content['application/json']?.example as { cpf: string; birthDate: string; name: string };
    expect(isValidCpf(student.cpf)).toBe(true);
    expect(Number(student.birthDate.slice(0, 4))).toBeLessThan(2008);
    expect(student.name).toMatch(/^[A-ZÀ-Ú][a-zà-ú]+( [A-ZÀ-Ú][a-zà-ú]+)+$/);
    const company = doc.paths['/api/customers']?.post?.requestBody?.content['application/json']?.examples?.example2?.value as { document: string };
    expect(isValidCnpj(company.document)).toBe(true);
    // A module of a user's, whose author wrote no example: one is made from its schema.
    const note = doc.paths['/api/notes']?.post?.requestBody?.content['application/json']?.example as { authorCpf: string };
    expect(isValidCpf(note.authorCpf)).toBe(true);
  });

  it('every example of a success or problem validates against its schema', () => {
    const validate = validatorOf(doc);
    for (const { name, op } of operationsOf(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        for (const media of Object.values(response.content ?? {})) {
          for (const { value } of Object.values(media.examples ?? {})) expect(validate(media.schema ?? {}, value), `${name} ${status}`).toEqual([]);
        }
      }
    }
  });

  it('passes redocly lint with the recommended rules, the modules from ROBUSTO_MODULES included', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc));
      const redocly = path.resolve('node_modules/.bin/redocly');
      const { stdout } = await run(redocly, ['lint', file, '--config', path.resolve('redocly.yaml'), '--format', 'json'], {
        timeout: 60_000,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      }).catch((error: { stdout?: string; stderr?: string }) => {
        throw new Error(`redocly lint failed: ${error.stdout ?? ''} ${error.stderr ?? ''}`);
      });
      const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

/** A module of `ROBUSTO_MODULES`-like origin whose one route names `errors` and throws the module's own code. */
function memoModule(name: string, errors: unknown[]): ModuleSource {
  return {
    name,
    origin: path.join(os.tmpdir(), `${name}.js`),
    load: async () => ({
      default: {
        name,
        routes: async (app: ModuleRouter) => {
          app.get('/:id', { config: { errors: errors as never } }, async () => {
            throw Object.assign(new Error('No memo with this id.'), {
              name: 'AppError',
              code: 'ERR_MEMO_NOT_FOUND',
              status: 404,
              detail: 'No memo with this id.',
            });
          });
        },
      },
    }),
  };
}

describe("the codes a route's config.errors names", () => {
  it('declares a code of a module outside the registry, as it is answered; a code nobody registered or a malformed one fails its module', async () => {
    const t = await buildTestApp({
      engine: 'sqlite',
      modules: [
        ...BUILTIN_MODULES,
        memoModule('memos', [{ code: 'ERR_MEMO_NOT_FOUND', status: 404, meaning: 'No memo with this id in the tenant.' }]),
        memoModule('typo', ['ERR_TYPO_NOT_FUOND']),
        memoModule('malformed', [{ code: 'memo-missing', status: 404 }]),
        memoModule('restatused', [{ code: 'ERR_STUDENT_NOT_FOUND', status: 410 }]),
      ],
    });
    try {
      for (const name of ['typo', 'malformed', 'restatused']) {
        const module = t.app.registry.modules.find((m) => m.name === name);
        expect(module, name).toMatchObject({ status: 'failed', stage: 'register' });
      }
      expect(t.app.registry.modules.find((m) => m.name === 'typo')?.error).toContain('ERR_TYPO_NOT_FUOND');
      const tenant = await createTenantWithUsers(t, 'memos');
      const typo = await t.app.http.inject({ url: `/api/typo/${EXAMPLE_UUID}`, headers: tenant.as('viewer') });
      expect(typo.json()).toMatchObject({ code: 'ERR_MODULE_UNAVAILABLE' });
      expect((await t.app.http.inject({ url: '/api/students', headers: tenant.as('viewer') })).statusCode).toBe(200);

      const answer = await t.app.http.inject({ url: `/api/memos/${EXAMPLE_UUID}`, headers: tenant.as('viewer') });
      expect(answer.json()).toMatchObject({ status: 404, code: 'ERR_MEMO_NOT_FOUND' });
      const doc: Document = (await t.app.http.inject('/docs/json')).json();
      const media = doc.paths['/api/memos/{id}']?.get?.responses['404']?.content?.['application/problem+json'];
      expect(Object.keys(media?.examples ?? {})).toEqual(['ERR_MEMO_NOT_FOUND']);
      expect(media?.examples?.ERR_MEMO_NOT_FOUND?.value).toMatchObject({ status: 404, detail: 'No memo with this id in the tenant.' });
    } finally {
      await t.close();
    }
  });
});
