import { afterEach, describe, expect, it } from 'vitest';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';

const running: RobustoProcess[] = [];
afterEach(async () => {
  for (const robusto of running.splice(0)) await robusto.destroy();
});

describe('an invalid configuration stops start-up with one line naming the variable', () => {
  it.each([
    ['a bad PORT', { PORT: 'eighty' }, /^ {2}PORT: "eighty" is not valid; it must be a whole number from 1 to 65535\. Example: PORT=8000$/m],
    [
      'a bad DATABASE_URL',
      { DATABASE_URL: 'mysql://root@localhost/erp' },
      /^ {2}DATABASE_URL: "mysql:\/\/root@localhost\/erp" is not valid; it must be a postgres:\/\/ or postgresql:\/\/ URL/m,
    ],
    // A secret is described by its length, never echoed.
    [
      'a short SECRET_KEY in production',
      { NODE_ENV: 'production', SECRET_KEY: 'too-short' },
      /^ {2}SECRET_KEY: a value of 9 character\(s\) is not valid; it must be at least 32 characters/m,
    ],
    ['no SECRET_KEY in production', { NODE_ENV: 'production' }, /^ {2}SECRET_KEY: is missing; in production it must be set/m],
  ])('%s → exit 1', async (_label, env, line) => {
    const robusto = await spawnRobusto({ env });
    running.push(robusto);
    expect(await robusto.exited).toBe(1);
    expect(robusto.output()).toMatch(/^robusto: invalid configuration, not starting$/m);
    expect(robusto.output()).toMatch(line);
    expect(robusto.output()).not.toMatch(/\n\s+at /);
    expect(robusto.output()).not.toContain('too-short');
  });
});
