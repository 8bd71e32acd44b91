import { describe, expect, it } from 'vitest';
import { buildProgram } from './program.js';

const EVERY_COMMAND = [
  'serve',
  'start',
  'reload',
  'status',
  'doctor',
  'migrate',
  'tenant',
  'user',
  'journal',
  'backup',
  'verify',
  'restore',
  'prune',
  'restart',
];

describe('the robusto command line', () => {
  it('lists every command, in order, when no command is named (help, a refusal)', async () => {
    expect((await buildProgram(['node', 'robusto'])).commands.map((command) => command.name())).toEqual(EVERY_COMMAND);
    expect((await buildProgram(['node', 'robusto', 'no-such-command'])).commands.map((command) => command.name())).toEqual(EVERY_COMMAND);
  });

  it('finds each command when it is named, loading only its own file', async () => {
    for (const name of EVERY_COMMAND) {
      const names = (await buildProgram(['node', 'robusto', name, '--help'])).commands.map((command) => command.name());
      expect(names).toContain(name);
      expect(names.length, name).toBeLessThan(EVERY_COMMAND.length);
    }
  });
});
