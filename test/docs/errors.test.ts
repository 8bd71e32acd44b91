// The error registry: every code robusto answers or prints is defined once, through
// defineErrors, is well formed, and is listed in docs/errors.md, which is rendered from the
// registry (`npx vitest run test/docs/errors.test.ts -u` writes it again after a change).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineErrors, ERROR_CODE_PATTERN, registeredErrors, type ErrorEntry } from '../../src/shared/error-registry.js';
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
    'This list is generated from the code (`src/shared/error-registry.ts`); a test fails when they differ.',
  ];
  for (const owner of owners) {
    lines.push('', `## ${owner}`, '', '| code | status | meaning |', '| --- | --- | --- |');
    for (const entry of entries.filter((e) => e.owner === owner)) {
      lines.push(`| \`${entry.code}\` | ${entry.status ?? '—'} | ${entry.meaning.replace(/\|/g, '\\|')} |`);
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

  it('refuses a code another owner already defined, and a malformed one', () => {
    expect(() => defineErrors('someone-else', { CLASH: { code: 'ERR_VALIDATION', status: 400, meaning: 'clash' } })).toThrow(
      /ERR_VALIDATION is defined twice, by kernel and by someone-else/,
    );
    expect(() => defineErrors('someone-else', { BAD: { code: 'ERR_lower_case', meaning: 'bad' } })).toThrow(/malformed/);
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
