import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-app.js';

interface Operation {
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    const response = await t.app.http.inject('/docs/json');
    expect(response.statusCode).toBe(200);
    doc = response.json();
  });
  afterAll(() => t.close());

  it('is OpenAPI 3.1 with the bearer scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(JSON.stringify(doc.components)).toContain('"bearerAuth"');
  });

  it('documents every module route, each with its problem responses, and hides health', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    const paths = Object.keys(doc.paths);
    for (const expected of ['/api/auth/login', '/api/auth/me', '/api/auth/users', '/api/customers', '/api/customers/{id}', '/api/system/info'])
      expect(paths).toContain(expected);
    expect(paths.some((p) => p.startsWith('/health'))).toBe(false);
    for (const { path, method, op } of operations) {
      const errorStatuses = Object.keys(op.responses).filter((s) => Number(s) >= 400);
      expect(errorStatuses.length, `${method} ${path} documents no problem response`).toBeGreaterThan(0);
      if (path !== '/api/auth/login') expect(errorStatuses, `${method} ${path}`).toContain('401');
    }
    expect(Object.keys(doc.paths['/api/customers']?.post?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409']));
  });

  it('serves a browsable page at /docs', async () => {
    const page = await t.app.http.inject('/docs');
    const location = page.headers.location;
    const html = location ? await t.app.http.inject(String(location).startsWith('/') ? String(location) : `/docs/${location}`) : page;
    expect(html.statusCode).toBe(200);
    expect(html.body).toMatch(/swagger-ui/i);
  });
});
