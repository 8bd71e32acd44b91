import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../shared/i18n/en.js';
import { textIn } from '../shared/i18n/translate.js';
import { ENV_VARIABLES } from './config.schema.js';
import { ConfigError, loadConfig } from './load-config.js';

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'robusto-config-'));
}

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, { cwd: tempDir(), ignoreDotEnv: true });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const cwd = tempDir();
    const { config } = loadConfig({}, { cwd, ignoreDotEnv: true });
    expect(config.port).toBe(8000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.engine).toBe('sqlite');
    expect(config.paths.sqliteFile).toBe(path.join(cwd, 'data', 'robusto.db'));
    expect(config.pool).toEqual({
      max: 20,
      statementTimeoutMs: 30000,
      writeDeadlineMs: 1000,
      connectTimeoutMs: 10000,
      idleTimeoutMs: 30000,
      maxLifetimeSeconds: 3600,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.pool)).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT: "abc" is not valid; it must be a whole number from 1 to 65535\. Example: PORT=8000$/],
    [{ PORT: '70000' }, /^PORT: "70000"/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: "mysql:\/\/x" is not valid; it must be a postgres:\/\/ .* Example: DATABASE_URL=postgres:\/\//],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: "loud"/],
    [{ SECRET_KEY: 'short' }, /^SECRET_KEY: a value of 5 character\(s\) is not valid; it must be at least 32 characters/],
    [{ BACKUP_ENCRYPTION_KEY: 'short-key' }, /^BACKUP_ENCRYPTION_KEY: a value of 9 character\(s\) is not valid; it must be at least 16 characters/],
    [{ NODE_ENV: 'production' }, /^SECRET_KEY: is missing; in production/],
    // An invalid key in production is that one line, not also "missing".
    [{ NODE_ENV: 'production', SECRET_KEY: 'short' }, /^SECRET_KEY: a value of 5 character\(s\) is not valid/],
  ])('rejects %o with one line naming the variable', (env, pattern) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
  });

  it("a tenant's share of the journal is a quarter of JOURNAL_MAX_MB unless set, and never more than it", () => {
    const load = (env: Record<string, string>) => loadConfig(env, { cwd: tempDir(), ignoreDotEnv: true }).config.journal;
    expect(load({})).toEqual({ maxMegabytes: 512, tenantMaxMegabytes: 128 });
    expect(load({ JOURNAL_MAX_MB: '1' })).toEqual({ maxMegabytes: 1, tenantMaxMegabytes: 0.25 });
    expect(load({ JOURNAL_MAX_MB: '8', JOURNAL_TENANT_MAX_MB: '0.5' })).toEqual({ maxMegabytes: 8, tenantMaxMegabytes: 0.5 });
    expect(() => load({ JOURNAL_MAX_MB: '8', JOURNAL_TENANT_MAX_MB: '9' })).toThrow(/JOURNAL_TENANT_MAX_MB.*larger than JOURNAL_MAX_MB=8/);
  });

  it('TRUST_PROXY: off by default; addresses, CIDR ranges and "loopback" accepted; anything else named in one line', () => {
    const load = (env: Record<string, string>) => loadConfig(env, { cwd: tempDir(), ignoreDotEnv: true }).config.trustProxy;
    expect(load({})).toEqual([]);
    expect(load({ TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,fd00::/8' })).toEqual(['10.0.0.5', '192.168.0.0/16', 'fd00::/8']);
    expect(load({ TRUST_PROXY: 'loopback' })).toEqual(['127.0.0.0/8', '::1']);
    for (const [value, why] of [
      ['nginx', '"nginx" is not an IP address'],
      ['10.0.0.0/33', 'prefix length outside 0-32'],
      ['10.0.0.1/8/2', 'is not an IP address'],
    ]) {
      const problems = problemsOf({ TRUST_PROXY: value as string });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^TRUST_PROXY: /);
      expect(problems[0]).toContain(why);
    }
  });

  it('DATABASE_URL: several hosts and target_session_attrs accepted; a bad host list named in one line, without the password', () => {
    const load = (url: string) => loadConfig({ DATABASE_URL: url }, { cwd: tempDir(), ignoreDotEnv: true }).config;
    const url = 'postgres://robusto:s3cret@db1:5432,db2:5433/erp?target_session_attrs=read-write';
    expect(load(url)).toMatchObject({ engine: 'postgres', databaseUrl: url });
    for (const [value, why] of [
      ['postgres://robusto:s3cret@db1,,db2/erp', '(its host list has an empty entry (two commas in a row, or one at an end))'],
      ['postgres://robusto:s3cret@db1:5432,db2:x/erp', '(port "x" is not a whole number from 1 to 65535)'],
      ['postgres://robusto:s3cret@db1,db2/erp?target_session_attrs=master', '(target_session_attrs=master is not one of any, read-write'],
    ] as const) {
      const problems = problemsOf({ DATABASE_URL: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^DATABASE_URL: "postgres:\/\/robusto:\*\*\*@db1.*" is not valid; it must be a postgres:\/\/ .*several \(db1:5432,db2:5432\).* Example: DATABASE_URL=postgres:\/\//,
      );
      expect(problems[0]).toContain(why);
      expect(problems[0]).not.toContain('s3cret');
    }
    // a URL that is not PostgreSQL's at all does not show its password either
    expect(problemsOf({ DATABASE_URL: 'mysql://root:s3cret@db1/erp' })[0]).toMatch(/^DATABASE_URL: "mysql:\/\/root:\*\*\*@db1\/erp" is not valid/);
  });

  it('lists every invalid variable, one line each', () => {
    expect(problemsOf({ PORT: 'x', DB_POOL_MAX: '0', LOG_FORMAT: 'xml' })).toHaveLength(3);
  });

  it("writes each line in the reader's language too: the same variable, value and example, what it must be in Portuguese", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'x', SECRET_KEY: 'curta', JOURNAL_MAX_MB: '10', JOURNAL_TENANT_MAX_MB: '20' }, { cwd: tempDir(), ignoreDotEnv: true });
    } catch (caught) {
      error = caught;
    }
    if (!(error instanceof ConfigError)) throw new Error('expected a ConfigError');
    expect(error.texts.map((line) => textIn('pt-BR', line))).toEqual([
      'PORT: "x" não é válido; deve ser um número inteiro de 1 a 65535. Exemplo: PORT=8000',
      `SECRET_KEY: um valor de 5 caractere(s) não é válido; deve ser pelo menos 32 caracteres (gere uma com: openssl rand -base64 48). Exemplo: SECRET_KEY=${ENV_VARIABLES.SECRET_KEY.example}`,
      'JOURNAL_TENANT_MAX_MB: "20" não é válido; deve ser um número de megabytes maior que 0, no máximo JOURNAL_MAX_MB (aceita decimais, por exemplo 0.5). Exemplo: JOURNAL_TENANT_MAX_MB=128 (é maior que JOURNAL_MAX_MB=10)',
    ]);
    expect(error.problems[0]).toBe('PORT: "x" is not valid; it must be a whole number from 1 to 65535. Example: PORT=8000');
    expect(error.problems[2]).toMatch(/\(it is larger than JOURNAL_MAX_MB=10\)$/);
  });

  it('gives the reason a URL, an address list or a cron expression was refused in Portuguese too', () => {
    let error: unknown;
    try {
      loadConfig(
        { DATABASE_URL: 'postgres://db1:5432,db2:x/erp', TRUST_PROXY: '10.0.0.0/33', BACKUP_SCHEDULE: '30 2 * * * *' },
        { cwd: tempDir(), ignoreDotEnv: true },
      );
    } catch (caught) {
      error = caught;
    }
    if (!(error instanceof ConfigError)) throw new Error('expected a ConfigError');
    const portuguese = error.texts.map((line) => textIn('pt-BR', line));
    expect(portuguese).toHaveLength(3);
    expect(portuguese).toContainEqual(expect.stringMatching(/^BACKUP_SCHEDULE: .*\(ela tem 6 campo\(s\), não 5\)$/));
    expect(portuguese).toContainEqual(expect.stringMatching(/^TRUST_PROXY: .*\("10\.0\.0\.0\/33" tem um tamanho de prefixo fora de 0-32\)$/));
    expect(portuguese).toContainEqual(expect.stringMatching(/^DATABASE_URL: .*\(a porta "x" não é um número inteiro de 1 a 65535\)$/));
    expect(error.problems).toContainEqual(expect.stringMatching(/\(port "x" is not a whole number from 1 to 65535\)$/));
  });

  it.each([
    ['99 * * * *', 'o campo minuto, "99", não é válido ali', 'its minute "99" is not valid there'],
    ['0 3 * 13 *', 'o campo mês, "13", não é válido ali', 'its month "13" is not valid there'],
    ['0 3 * * mon-xyz', 'o campo dia da semana, "mon-xyz", não é válido ali', 'its day of the week "mon-xyz" is not valid there'],
  ])('names the field of a cron expression %s the parser refuses, in each language', (schedule, portuguese, english) => {
    let error: unknown;
    try {
      loadConfig({ BACKUP_SCHEDULE: schedule }, { cwd: tempDir(), ignoreDotEnv: true });
    } catch (caught) {
      error = caught;
    }
    if (!(error instanceof ConfigError)) throw new Error('expected a ConfigError');
    expect(error.texts.map((line) => textIn('pt-BR', line))).toEqual([expect.stringContaining(`(${portuguese})`)]);
    expect(error.problems).toEqual([expect.stringContaining(`(${english})`)]);
  });

  it('says what each variable must be in the catalogue exactly as its schema does in English', () => {
    const messages = en.messages as Record<string, string>;
    for (const [name, variable] of Object.entries(ENV_VARIABLES)) expect(messages[`config.expected.${name}`], name).toBe(variable.expected);
    const described = Object.keys(messages).filter((key) => key.startsWith('config.expected.'));
    expect(described.sort()).toEqual(
      Object.keys(ENV_VARIABLES)
        .map((name) => `config.expected.${name}`)
        .sort(),
    );
  });

  it('generates a secret key once outside production, mode 0600', () => {
    const cwd = tempDir();
    const first = loadConfig({}, { cwd, ignoreDotEnv: true });
    expect(first.warnings[0]).toMatch(/generated one into/);
    expect(first.config.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(statSync(first.config.paths.secretKeyFile).mode & 0o777).toBe(0o600);
    const second = loadConfig({}, { cwd, ignoreDotEnv: true });
    expect(second.config.secretKey).toBe(first.config.secretKey);
    expect(second.warnings).toEqual([]);
  });

  it('reads .env, and the real environment wins over it', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, '.env'), 'PORT=9001\nHOST=0.0.0.0\n');
    const { config } = loadConfig({ PORT: '9002' }, { cwd });
    expect(config.port).toBe(9002);
    expect(config.host).toBe('0.0.0.0');
  });

  it('accepts a PostgreSQL URL and resolves module paths', () => {
    const cwd = tempDir();
    const { config } = loadConfig({ DATABASE_URL: 'postgres://u@h/db', ROBUSTO_MODULES: 'a.js, ./b/c.js' }, { cwd, ignoreDotEnv: true });
    expect(config.engine).toBe('postgres');
    expect(config.extraModules).toEqual([path.join(cwd, 'a.js'), path.join(cwd, 'b/c.js')]);
    expect(readFileSync(config.paths.secretKeyFile, 'utf8').trim()).toBe(config.secretKey);
  });
});
