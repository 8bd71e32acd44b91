import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { packageInfo } from '../../config/package-info.js';
import type { HttpServer } from '../../http/create-server.js';

// The operator guide (docs/pt-BR) read in the browser beside the admin page, for the person in
// charge who has the page open and no repository at hand. Only the guide's own pages are served,
// by name; their Markdown is written as plain HTML, every text escaped.

/** The guide's pages, by the name in their address (`/admin/guia/<name>`); the index is `/admin/guia`. */
const GUIDE_PAGES = ['README', 'instalar', 'painel', 'banco-caiu', 'backup', 'reinicio-seguro', 'atualizar', 'production'] as const;

const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** The anchor a heading gets, as the guide's links write it (GitHub's rule: lower case, punctuation dropped, spaces to hyphens). */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

/** Where a link of the guide leads in the browser: another guide page, an anchor or the web; undefined for a file of the repository. */
function linkTarget(href: string): string | undefined {
  if (/^https?:\/\//.test(href) || href.startsWith('#')) return href;
  const page = /^([a-z-]+|README)\.md(#[^\s]*)?$/i.exec(href);
  if (!page || !(GUIDE_PAGES as readonly string[]).includes(page[1] as string)) return undefined;
  return `${page[1] === 'README' ? '/admin/guia' : `/admin/guia/${page[1]}`}${page[2] ?? ''}`;
}

/** Code spans and **bold** of a piece of a line, everything else escaped. */
function spans(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) =>
      part.length > 1 && part.startsWith('`') && part.endsWith('`')
        ? `<code>${escape(part.slice(1, -1))}</code>`
        : escape(part).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>'),
    )
    .join('');
}

/** A line's inline Markdown as HTML: [links] (whose labels may hold code), `code` and **bold**; everything else escaped. */
function inline(text: string): string {
  let html = '';
  let at = 0;
  for (const link of text.matchAll(/\[([^\]]+)\]\(([^)\s]+)\)/g)) {
    html += spans(text.slice(at, link.index));
    const target = linkTarget(link[2] as string);
    const label = spans(link[1] as string);
    html += target === undefined ? label : `<a href="${escape(target)}">${label}</a>`;
    at = link.index + link[0].length;
  }
  return html + spans(text.slice(at));
}

/** A Markdown table's rows as an HTML table (its second line, the alignment, is skipped). */
function table(lines: string[]): string {
  const cells = (line: string) =>
    line
      .replace(/^\s*\|/, '')
      .replace(/\|\s*$/, '')
      .split(/(?<!\\)\|/)
      .map((cell) => inline(cell.trim().replaceAll('\\|', '|')));
  const [head = '', , ...body] = lines;
  const row = (line: string, tag: 'th' | 'td') =>
    `<tr>${cells(line)
      .map((c) => `<${tag}>${c}</${tag}>`)
      .join('')}</tr>`;
  return `<div class="scroll"><table><thead>${row(head, 'th')}</thead><tbody>${body.map((l) => row(l, 'td')).join('')}</tbody></table></div>`;
}

/** The block that starts at `lines[i]`: its HTML and the index of the line after it. */
function block(lines: string[], i: number): [string, number] {
  const line = lines[i] as string;
  const fence = /^\s*```/;
  if (fence.test(line)) {
    let end = i + 1;
    while (end < lines.length && !fence.test(lines[end] as string)) end++;
    const indent = /^\s*/.exec(line)?.[0].length ?? 0;
    return [
      `<pre><code>${escape(
        lines
          .slice(i + 1, end)
          .map((l) => l.slice(indent))
          .join('\n'),
      )}</code></pre>`,
      end + 1,
    ];
  }
  const heading = /^(#{1,4})\s+(.*)$/.exec(line);
  if (heading) {
    const level = (heading[1] as string).length;
    return [`<h${level} id="${escape(headingAnchor((heading[2] as string).replaceAll('`', '')))}">${inline(heading[2] as string)}</h${level}>`, i + 1];
  }
  // A run of lines until a blank one or the start of another kind of block.
  const kind = line.startsWith('|') ? 'table' : line.startsWith('>') ? 'quote' : /^(-|\d+\.)\s/.test(line) ? 'list' : 'paragraph';
  let end = i + 1;
  while (end < lines.length && (lines[end] as string).trim() !== '' && !fence.test(lines[end] as string) && !/^#{1,4}\s/.test(lines[end] as string)) end++;
  const run = lines.slice(i, end);
  if (kind === 'table') return [table(run), end];
  if (kind === 'quote') return [`<blockquote><p>${inline(run.map((l) => l.replace(/^>\s?/, '')).join(' '))}</p></blockquote>`, end];
  if (kind === 'list') {
    const ordered = /^\d+\./.test(line);
    const items: string[] = [];
    for (const l of run) {
      if (/^(-|\d+\.)\s/.test(l)) items.push(l.replace(/^(-|\d+\.)\s+/, ''));
      else items[items.length - 1] += ` ${l.trim()}`;
    }
    const tag = ordered ? 'ol' : 'ul';
    return [`<${tag}>${items.map((item) => `<li>${inline(item)}</li>`).join('')}</${tag}>`, end];
  }
  return [`<p>${inline(run.map((l) => l.trim()).join(' '))}</p>`, end];
}

/**
 * A page of the guide, from its Markdown: headings (with the anchors its links use), paragraphs,
 * lists, quotes, tables and code, links to the other pages of the guide kept, links to other files
 * of the repository shown as their text.
 */
export function guideHtml(markdown: string): string {
  const lines = markdown.replace(/\r\n/g, '\n').split('\n');
  const title = /^#\s+(.*)$/m.exec(markdown)?.[1]?.replaceAll('`', '') ?? 'robusto';
  const parts: string[] = [];
  for (let i = 0; i < lines.length;) {
    if ((lines[i] as string).trim() === '') {
      i++;
      continue;
    }
    const [html, next] = block(lines, i);
    parts.push(html);
    i = next;
  }
  return `<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} — robusto</title>
<link rel="stylesheet" href="/admin/admin.css">
<link rel="icon" href="/admin/favicon.svg" type="image/svg+xml">
</head>
<body class="guide">
<header><a href="/admin">← Painel</a> <a href="/admin/guia">Guia do operador</a> <a href="/docs">Documentação da API</a></header>
<main>
${parts.join('\n')}
</main>
</body>
</html>
`;
}

function send(reply: FastifyReply, html: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('content-language', 'pt-BR')
    .send(html);
}

/**
 * Registers the operator guide in Brazilian Portuguese at `/admin/guia` (its index) and
 * `/admin/guia/<page>`, read from the installation's `docs/pt-BR`; a name that is not one of its
 * pages, or an installation without the folder, gets the usual 404.
 */
export function registerAdminGuide(app: HttpServer): void {
  const options = { schema: { hide: true }, config: { public: true, withoutDatabase: true } };
  const folder = path.join(packageInfo().root, 'docs', 'pt-BR');
  const serve = async (name: string, reply: FastifyReply) => {
    if (!(GUIDE_PAGES as readonly string[]).includes(name)) return reply.callNotFound();
    let markdown: string;
    try {
      markdown = await readFile(path.join(folder, `${name}.md`), 'utf8');
    } catch {
      return reply.callNotFound();
    }
    return send(reply, guideHtml(markdown));
  };
  app.get('/admin/guia', options, async (_request, reply) => serve('README', reply));
  app.get<{ Params: { page: string } }>('/admin/guia/:page', options, async (request, reply) => serve(request.params.page, reply));
}
