// The error registry: every code robusto answers or prints is defined once, through
// defineErrors, is well formed, and is listed in docs/errors.md, which is rendered from the
// registry (`npx vitest run test/docs/errors.test.ts -u` writes it again after a change).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineErrors, ERROR_CODE_PATTERN, registeredErrors, type ErrorEntry } from '../../src/shared/error-registry.js';
import type { CatalogueCode } from '../../src/shared/i18n/catalogue.js';
import { meaningIn } from '../../src/shared/i18n/translate.js';
import { PROJECT_ROOT } from '../support/spawn-robusto.js';

const SRC = path.join(PROJECT_ROOT, 'src');

function sourceFiles(): string[] {
  return (readdirSync(SRC, { recursive: true }) as string[])
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(SRC, file));
}

/** The code strings a file names outside comments and outside its `defineErrors` entries. */
function looseCodes(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return [...code.matchAll(/(?<!code: )'(ERR_[A-Z0-9_]+)'/g)].map((match) => match[1] as string);
}

function render(entries: ErrorEntry[]): string {
  const owners = [...new Set(entries.map((entry) => entry.owner))];
  const lines = [
    '# Errors',
    '',
    'Every error robusto answers over HTTP is `application/problem+json` (RFC 9457) with a stable',
    '`code`, the HTTP `status`, a `title`, a `detail` that says what was wrong and how to fix it,',
    'and the `requestId` the log files it under; a validation error lists each field in `errors[]`.',
    'Errors of the commands (`robusto backup`, `restore`…) and of start-up print the same codes.',
    'Codes never change meaning and are never renamed; new ones are added here.',
    '',
    'This list is generated from the code (`src/shared/error-registry.ts`, the texts from the catalogues of',
    '`src/shared/i18n/`); a test fails when they differ. An API answer writes `title`, `detail` and each',
    "field's message in the language its `Accept-Language` asks for (Portuguese for `pt`, `pt-BR`, `pt-PT`;",
    'English otherwise) and says which in `Content-Language`; the code, status, type and field paths never change.',
  ];
  for (const owner of owners) {
    lines.push('', `## ${owner}`, '', '| code | status | meaning | significado (pt-BR) |', '| --- | --- | --- | --- |');
    for (const entry of entries.filter((e) => e.owner === owner)) {
      const cell = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|');
      lines.push(`| \`${entry.code}\` | ${entry.status ?? '—'} | ${cell(entry.meaning)} | ${cell(meaningIn('pt-BR', entry.code))} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('the error registry', () => {
  const files = sourceFiles();
  beforeAll(async () => {
    for (const file of files) {
      if (readFileSync(file, 'utf8').includes('defineErrors(')) await import(pathToFileURL(file).href);
    }
  });

  it('every code is well formed and named once', () => {
    const entries = registeredErrors();
    expect(entries.length).toBeGreaterThan(50);
    for (const entry of entries) expect(entry.code, entry.owner).toMatch(ERROR_CODE_PATTERN);
    expect(new Set(entries.map((entry) => entry.code)).size).toBe(entries.length);
  });

  it('refuses a code another owner already defined, a malformed one, and one the catalogues do not describe', () => {
    expect(() => defineErrors('someone-else', { CLASH: { code: 'ERR_VALIDATION', status: 400 } })).toThrow(
      /ERR_VALIDATION is defined twice, by kernel and by someone-else/,
    );
    // Neither code compiles: the casts stand for a module that bypasses the type check.
    expect(() => defineErrors('someone-else', { BAD: { code: 'ERR_lower_case' as CatalogueCode } })).toThrow(/malformed/);
    expect(() => defineErrors('someone-else', { UNDESCRIBED: { code: 'ERR_NOT_IN_THE_CATALOGUES' as CatalogueCode } })).toThrow(
      /ERR_NOT_IN_THE_CATALOGUES \(someone-else\) has no title and meaning/,
    );
  });

  it('no code is written as a loose string: each comes from the registry', () => {
    const registered = new Set(registeredErrors().map((entry) => entry.code));
    const loose = files.flatMap((file) =>
      looseCodes(readFileSync(file, 'utf8')).map((code) => `${path.relative(PROJECT_ROOT, file)}: ${code}${registered.has(code) ? '' : ' (not registered)'}`),
    );
    expect(loose).toEqual([]);
  });

  it('docs/errors.md lists every code, as rendered from the registry', async () => {
    await expect(render(registeredErrors())).toMatchFileSnapshot(path.join(PROJECT_ROOT, 'docs', 'errors.md'));
  });
});
