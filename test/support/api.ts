import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Role } from '../../src/shared/principal.js';
import type { TestTenant } from './auth.js';
import type { TestApp } from './build-app.js';

/** One API call in a scenario table. */
export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  /** Who calls; `anonymous` sends no token. Defaults to `owner`. */
  as?: Role | 'anonymous';
  body?: unknown;
  /** A raw body (string) with its content type, for malformed-input cases. */
  raw?: { payload: string; contentType: string };
  headers?: Record<string, string>;
}

/** Sends one {@link Call} for a tenant through `inject`. */
export async function call(t: TestApp, tenant: TestTenant, c: Call): Promise<LightMyRequestResponse> {
  const as = c.as ?? 'owner';
  const options: InjectOptions = {
    method: c.method,
    url: c.url,
    headers: { ...(as === 'anonymous' ? {} : tenant.as(as)), ...(c.raw ? { 'content-type': c.raw.contentType } : {}), ...c.headers },
    ...(c.raw ? { payload: c.raw.payload } : c.body !== undefined ? { payload: c.body as InjectOptions['payload'] } : {}),
  };
  return t.app.http.inject(options);
}

/** A scenario row: a call and what must come back. */
export interface Scenario extends Call {
  name: string;
  status: number;
  /** The problem `code` expected (error statuses). */
  code?: string;
  /** Fields whose errors[] entries must be listed (400s). */
  fields?: string[];
}

/** Sends a scenario and checks status, problem code and listed fields; returns the response. */
export async function expectScenario(t: TestApp, tenant: TestTenant, s: Scenario, expect: typeof import('vitest').expect): Promise<LightMyRequestResponse> {
  const response = await call(t, tenant, s);
  expect(response.statusCode, `${s.name}: ${response.body}`).toBe(s.status);
  if (s.status >= 400) {
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (s.code) expect(response.json().code).toBe(s.code);
    if (s.fields) {
      const listed = (response.json().errors as Array<{ field: string }>).map((e) => e.field);
      for (const field of s.fields) expect(listed).toContain(field);
    }
  }
  return response;
}
