// No CPF or CNPJ reaches the request log, however a search term was typed or encoded: the URL's
// query is decoded before it is masked, and every line names the route it matched.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loggedUrl } from '../../src/http/request-log.js';
import { call } from '../support/api.js';
import { createTenantWithUsers, type TestTenant } from '../support/auth.js';
import { buildTestApp, type TestApp } from '../support/build-app.js';

const ENCODINGS = [
  '529.982.247-25',
  '529%2E982%2E247-25',
  '529+982+247+25',
  '529-982-247-25',
  '529982247%2D25',
  '52998224725',
  '11.222.333%2F0001-81',
  '11+222+333+0001+81',
];

describe('the request log', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
    tenant = await createTenantWithUsers(t, 'logs');
  });
  afterAll(() => t.close());

  it.each(ENCODINGS)('q=%s: the line has the route and a masked query, no digits of the document', async (encoded) => {
    const response = await call(t, tenant, { method: 'GET', url: `/api/students?limit=5&q=${encoded}`, as: 'staff' });
    expect(response.statusCode).toBe(200);
    const requestId = response.headers['x-request-id'];
    // The line is written after the response is sent: on two busy cores that can take more than vitest's default second.
    await vi.waitFor(() => expect(t.logs.find((l) => l.requestId === requestId && l.msg === 'request completed')).toBeDefined(), {
      timeout: 10_000,
      interval: 20,
    });
    const line = t.logs.find((l) => l.requestId === requestId && l.msg === 'request completed') as Record<string, unknown>;
    expect(line).toMatchObject({ route: '/api/students', url: '/api/students?limit=5&q=[DOCUMENT]' });
    // every field but those whose digits are chance (a random request id, the pid, the time, the duration)
    for (const { requestId: _id, pid: _pid, time: _time, responseTimeMs: _ms, ...rest } of t.logs.filter((l) => l.requestId === requestId)) {
      expect(JSON.stringify(rest)).not.toMatch(/982|222\D?333/);
    }
  });

  it('leaves what is not a document alone: dates, short numbers, ids', () => {
    expect(loggedUrl('/api/audit?from=2026-03-01T00:00:00Z&limit=20')).toBe('/api/audit?from=2026-03-01T00:00:00Z&limit=20');
    expect(loggedUrl('/api/students/0193b3c2-5d6e-7f00-8a1b-2c3d4e5f6a7b')).toBe('/api/students/0193b3c2-5d6e-7f00-8a1b-2c3d4e5f6a7b');
    expect(loggedUrl('/api/products?q=leite+1l')).toBe('/api/products?q=leite 1l');
  });
});
