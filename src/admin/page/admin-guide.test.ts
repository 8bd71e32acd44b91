import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/support/build-app.js';
import { guideHtml, headingAnchor } from './admin-guide.js';

const GUIDE = path.resolve('docs', 'pt-BR');

describe('the operator guide in the browser', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ engine: 'sqlite' });
  });
  afterAll(async () => t.close());

  it('serves every page of docs/pt-BR, in Portuguese, the index at /admin/guia; anything else is a 404', async () => {
    const pages = readdirSync(GUIDE).filter((file) => file.endsWith('.md'));
    expect(pages.length).toBeGreaterThan(6);
    for (const file of pages) {
      const url = file === 'README.md' ? '/admin/guia' : `/admin/guia/${file.replace(/\.md$/, '')}`;
      const response = await t.app.http.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-language']).toBe('pt-BR');
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
      expect(response.body).toContain('<html lang="pt-BR">');
    }
    for (const url of ['/admin/guia/nada', '/admin/guia/..%2F..%2Fpackage', '/admin/guia/SECURITY.pt-BR']) {
      expect((await t.app.http.inject({ method: 'GET', url })).statusCode, url).toBe(404);
    }
  });

  it("keeps every link between the guide's pages, each to a heading that is there", async () => {
    const anchors = new Map<string, Set<string>>();
    const bodies = new Map<string, string>();
    for (const file of readdirSync(GUIDE).filter((f) => f.endsWith('.md'))) {
      const name = file.replace(/\.md$/, '');
      const html = guideHtml(readFileSync(path.join(GUIDE, file), 'utf8'));
      bodies.set(name, html);
      anchors.set(name, new Set([...html.matchAll(/<h\d id="([^"]+)"/g)].map((m) => m[1] as string)));
    }
    let links = 0;
    for (const [name, html] of bodies) {
      for (const [, href] of html.matchAll(/<a href="(\/admin\/guia[^"]*)"/g)) {
        const match = /^\/admin\/guia(?:\/([a-z-]+))?(?:#(.*))?$/.exec(href as string);
        expect(match, `${name}: ${href}`).not.toBeNull();
        const target = match?.[1] ?? 'README';
        expect(anchors.has(target), `${name}: ${href}`).toBe(true);
        if (match?.[2]) expect([...(anchors.get(target) ?? [])], `${name}: ${href}`).toContain(decodeURIComponent(match[2]));
        links++;
      }
    }
    expect(links).toBeGreaterThan(20);
  });

  it('writes the Markdown as HTML with every text escaped, and files outside the guide as plain text', () => {
    const html = guideHtml(
      [
        '# O painel `/admin` <script>',
        '',
        'Um **aviso** com `<b>código</b>`, [o painel](painel.md#abrir-e-entrar), [fora](../../SECURITY.pt-BR.md) e [ruim](javascript:alert%281%29).',
        '',
        '| a | b |',
        '|---|---|',
        '| `x \\| y` | <i>z</i> |',
        '',
        '- um',
        '  continua',
        '- dois',
        '',
        '```sh',
        'echo "<oi>"',
        '```',
      ].join('\n'),
    );
    expect(html).toContain('<title>O painel /admin &lt;script&gt; — robusto</title>');
    expect(html).toContain('<h1 id="o-painel-admin-script">O painel <code>/admin</code> &lt;script&gt;</h1>');
    expect(html).toContain(
      '<p>Um <strong>aviso</strong> com <code>&lt;b&gt;código&lt;/b&gt;</code>, <a href="/admin/guia/painel#abrir-e-entrar">o painel</a>, fora e ruim.</p>',
    );
    expect(html).toContain('<tr><td><code>x | y</code></td><td>&lt;i&gt;z&lt;/i&gt;</td></tr>');
    expect(html).toContain('<ul><li>um continua</li><li>dois</li></ul>');
    expect(html).toContain('<pre><code>echo &quot;&lt;oi&gt;&quot;</code></pre>');
    expect(headingAnchor('Quando o banco de dados cai: o que fazer')).toBe('quando-o-banco-de-dados-cai-o-que-fazer');
  });
});
