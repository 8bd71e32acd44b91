// docs/configuration.md's table of variables is the code's: each row is rendered from
// ENV_VARIABLES (name, default, meaning), so a variable added, removed or changed in one place
// and not the other fails here (its message shows the table the code gives).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, type EnvVariable } from '../../src/config/config.schema.js';
import { PROJECT_ROOT } from '../support/spawn-robusto.js';

function defaultOf(variable: EnvVariable): string {
  if (variable.documentedDefault !== undefined) return variable.documentedDefault;
  return variable.default === undefined ? 'unset' : `\`${variable.default}\``;
}

describe('docs/configuration.md', () => {
  it('lists every variable robusto reads, with the default and meaning the code gives it', () => {
    const rendered = [
      '| variable | default | meaning |',
      '|---|---|---|',
      ...Object.entries(ENV_VARIABLES).map(([name, variable]) => `| \`${name}\` | ${defaultOf(variable)} | ${variable.description} |`),
    ];
    const doc = readFileSync(path.join(PROJECT_ROOT, 'docs', 'configuration.md'), 'utf8').split('\n');
    const start = doc.indexOf('| variable | default | meaning |');
    const table = doc.slice(
      start,
      doc.findIndex((line, i) => i > start && !line.startsWith('|')),
    );
    expect(table.join('\n')).toBe(rendered.join('\n'));
  });
});
