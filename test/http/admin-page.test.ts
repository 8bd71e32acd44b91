// The admin page's files: served without sign-in (they hold no data), with headers that let only
// the page's own files run in it and keep it out of frames and caches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-app.js';

describe('admin page files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
  });
  afterAll(() => t.close());

  it.each([
    ['/admin', 'text/html'],
    ['/admin/admin.js', 'text/javascript'],
    ['/admin/admin.css', 'text/css'],
    ['/admin/favicon.svg', 'image/svg+xml'],
  ])('%s: %s, no sign-in, strict headers', async (url, type) => {
    const response = await t.app.http.inject({ url });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain(type);
    expect(response.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self';.*frame-ancestors 'none'/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('its script never writes markup: every value reaches the page as text', async () => {
    const script = (await t.app.http.inject({ url: '/admin/admin.js' })).body;
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });

  it('the page has no inline script or style, and what it reads still needs a token', async () => {
    const html = (await t.app.http.inject({ url: '/admin' })).body;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect((await t.app.http.inject({ url: '/api/system/journal' })).statusCode).toBe(401);
  });
});
