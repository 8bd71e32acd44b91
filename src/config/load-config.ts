import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { Cron } from 'croner';
import type { Config } from './config.js';
import { ENV_VARIABLES, type EnvName, type EnvVariable } from './config.schema.js';
import { readDatabaseUrl } from './database-url.js';
import { defineErrors } from '../shared/error-registry.js';
import { DEFAULT_LOCALE } from '../shared/i18n/locale.js';
import { isLocalText, text, textIn, type LocalText } from '../shared/i18n/translate.js';

const MIN_SECRET_KEY_LENGTH = 32;
const GENERATED_SECRET_BYTES = 48;

/** Stable error code of the configuration. */
export const ConfigErrorCode = defineErrors('config', {
  INVALID: { code: 'ERR_CONFIG_INVALID' },
});

/**
 * Thrown when the environment is invalid. `problems` has one line per variable: its name, what
 * is wrong and an example of a good value, ready to print, in English; `texts` holds the same
 * lines as texts of the catalogues, to be written in the reader's language.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = ConfigErrorCode.INVALID;
  readonly problems: string[];
  readonly texts: readonly LocalText[];

  constructor(texts: readonly LocalText[]) {
    const problems = texts.map((line) => textIn(DEFAULT_LOCALE, line));
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.problems = problems;
    this.texts = texts;
  }
}

/** A configuration problem: a text of the catalogues. */
type Problem = LocalText;

/** What {@link loadConfig} returns: the frozen config and warnings to log once a logger exists. */
export interface LoadedConfig {
  config: Readonly<Config>;
  warnings: string[];
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Directory relative paths and `.env` are resolved against; defaults to the process's cwd. */
  cwd?: string;
  /** Skip reading `<cwd>/.env` (tests pass the whole environment). */
  ignoreDotEnv?: boolean;
  /**
   * Write nothing: a missing `DATA_DIR/secret.key` is not generated (a key for this process only
   * stands in). For commands that only look (`status`, `doctor`): run from the wrong folder,
   * they must not leave a `data/` behind.
   */
  readOnly?: boolean;
}

function describeValue(variable: EnvVariable, raw: string): string | LocalText {
  if (raw === '') return text('config.value.empty');
  if (variable.secret) return text('config.value.secret', { count: raw.length });
  return JSON.stringify(variable.shown ? variable.shown(raw) : raw);
}

/** What a variable must be, in the reader's language (`config.expected.<NAME>` of the catalogues, the schema's `expected` in English). */
function expectedOf(name: EnvName): LocalText {
  return { key: `config.expected.${name}`, params: {} };
}

/** The line saying a variable's value is not valid, what it must be and an example; `reason` says why, when a parser knows. */
function problemLine(name: EnvName, variable: EnvVariable, raw: string, reason?: string | LocalText): LocalText {
  const facts = { name, value: describeValue(variable, raw), expected: expectedOf(name), example: variable.example };
  return reason === undefined ? text('config.problem', facts) : text('config.problemBecause', { ...facts, reason });
}

function convert(variable: EnvVariable, raw: string): unknown {
  const converted = Value.Convert(variable.schema, raw);
  return Value.Check(variable.schema, converted) ? converted : undefined;
}

function readDotEnv(cwd: string): Record<string, string> {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

/**
 * Reads the secret key from `DATA_DIR/secret.key`, or generates one there (mode 0600) the first
 * time (`readOnly`: a key for this process only, written nowhere). Only used outside production.
 */
function loadOrCreateSecretKey(secretKeyFile: string, readOnly: boolean): { key: string; created: boolean } {
  if (existsSync(secretKeyFile)) {
    const key = readFileSync(secretKeyFile, 'utf8').trim();
    if (key.length >= MIN_SECRET_KEY_LENGTH) return { key, created: false };
  }
  if (readOnly) return { key: randomBytes(GENERATED_SECRET_BYTES).toString('base64url'), created: false };
  mkdirSync(path.dirname(secretKeyFile), { recursive: true });
  const key = randomBytes(GENERATED_SECRET_BYTES).toString('base64url');
  writeFileSync(secretKeyFile, `${key}\n`, { mode: 0o600 });
  return { key, created: true };
}

/**
 * Validates the environment (plus an optional `.env`; real variables win) against
 * {@link ENV_VARIABLES} and returns a frozen {@link Config}.
 *
 * Outside production a missing `SECRET_KEY` is generated once into `DATA_DIR/secret.key`; in
 * production a missing or short key is an error.
 *
 * @throws {ConfigError} listing every invalid variable, one line each.
 */
export function loadConfig(env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const merged: Record<string, string | undefined> = { ...(options.ignoreDotEnv ? {} : readDotEnv(cwd)), ...env };
  const { values, problems } = readVariables(merged);
  const nodeEnv = (values.NODE_ENV ?? 'development') as Config['nodeEnv'];
  const paths = pathsOf(values, cwd);
  problems.push(...crossProblems(values));
  const trustProxy = parseTrustProxy((values.TRUST_PROXY as string | undefined) ?? 'off');
  if (isLocalText(trustProxy)) problems.push(problemLine('TRUST_PROXY', ENV_VARIABLES.TRUST_PROXY, values.TRUST_PROXY as string, trustProxy));
  const databaseUrl = values.DATABASE_URL as string | undefined;
  const database = databaseUrl === undefined ? undefined : readDatabaseUrl(databaseUrl);
  if (database !== undefined && isLocalText(database)) problems.push(problemLine('DATABASE_URL', ENV_VARIABLES.DATABASE_URL, databaseUrl as string, database));
  const warnings: string[] = [];
  const secretKey = secretKeyOf(
    values.SECRET_KEY as string | undefined,
    nodeEnv,
    { file: paths.secretKeyFile, readOnly: options.readOnly === true },
    problems,
    warnings,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: deepFreeze(configOf(values, { nodeEnv, paths, secretKey: secretKey as string, trustProxy: trustProxy as string[], cwd })), warnings };
}

type Values = Partial<Record<EnvName, unknown>>;

/** Every variable of {@link ENV_VARIABLES} read and converted, and one line per invalid one. */
function readVariables(merged: Record<string, string | undefined>): { values: Values; problems: Problem[] } {
  const problems: Problem[] = [];
  const values: Values = {};
  for (const name of Object.keys(ENV_VARIABLES) as EnvName[]) {
    const read = readVariable(name, merged);
    if (read && 'problem' in read) problems.push(read.problem);
    else if (read) values[name] = read.value;
  }
  return { values, problems };
}

/** Where robusto keeps its files: everything under `DATA_DIR` but the backups, which `BACKUP_DIR` may move. */
function pathsOf(values: Values, cwd: string): Config['paths'] {
  const dataDir = path.resolve(cwd, (values.DATA_DIR as string | undefined) ?? './data');
  return {
    dataDir,
    sqliteFile: path.join(dataDir, 'robusto.db'),
    logsDir: path.join(dataDir, 'logs'),
    backupsDir: values.BACKUP_DIR === undefined ? path.join(dataDir, 'backups') : path.resolve(cwd, values.BACKUP_DIR as string),
    reportsDir: path.join(dataDir, 'reports'),
    secretKeyFile: path.join(dataDir, 'secret.key'),
  };
}

/** What is wrong in how valid variables go together, or in a schedule only its parser can judge. */
function crossProblems(values: Values): Problem[] {
  const problems: Problem[] = [];
  const backupSchedule = values.BACKUP_SCHEDULE as string | undefined;
  if (backupSchedule !== undefined && backupSchedule !== 'off') {
    const why = cronProblem(backupSchedule);
    if (why) problems.push(problemLine('BACKUP_SCHEDULE', ENV_VARIABLES.BACKUP_SCHEDULE, backupSchedule, why));
  }
  const journalMax = values.JOURNAL_MAX_MB as number | undefined;
  const tenantMax = values.JOURNAL_TENANT_MAX_MB as number | undefined;
  if (journalMax !== undefined && tenantMax !== undefined && tenantMax > journalMax) {
    problems.push(
      problemLine('JOURNAL_TENANT_MAX_MB', ENV_VARIABLES.JOURNAL_TENANT_MAX_MB, String(tenantMax), text('config.tenantMaxLarger', { max: String(journalMax) })),
    );
  }
  return problems;
}

/**
 * The secret key: `SECRET_KEY`, or (outside production, once nothing else is wrong) the one
 * generated into `DATA_DIR/secret.key`, saying so in `warnings`. Missing in production is a problem.
 */
function secretKeyOf(
  given: string | undefined,
  nodeEnv: Config['nodeEnv'],
  keyFile: { file: string; readOnly: boolean },
  problems: Problem[],
  warnings: string[],
): string | undefined {
  if (given !== undefined || problems.some((p) => p.params.name === 'SECRET_KEY')) return given;
  if (nodeEnv === 'production') {
    problems.push(text('config.secretMissing', { expected: expectedOf('SECRET_KEY'), example: ENV_VARIABLES.SECRET_KEY.example }));
    return undefined;
  }
  if (problems.length > 0) return undefined;
  const { key, created } = loadOrCreateSecretKey(keyFile.file, keyFile.readOnly);
  if (created) warnings.push(`SECRET_KEY is not set: generated one into ${keyFile.file}; set SECRET_KEY in production`);
  return key;
}

/** The {@link Config} of valid `values`. */
function configOf(values: Values, known: { nodeEnv: Config['nodeEnv']; paths: Config['paths']; secretKey: string; trustProxy: string[]; cwd: string }): Config {
  const databaseUrl = values.DATABASE_URL as string | undefined;
  const journalMax = values.JOURNAL_MAX_MB as number;
  const tenantMax = values.JOURNAL_TENANT_MAX_MB as number | undefined;
  const backupSchedule = values.BACKUP_SCHEDULE as string | undefined;
  return {
    nodeEnv: known.nodeEnv,
    port: values.PORT as number,
    host: values.HOST as string,
    paths: known.paths,
    engine: databaseUrl ? 'postgres' : 'sqlite',
    databaseUrl,
    pool: {
      max: values.DB_POOL_MAX as number,
      statementTimeoutMs: values.DB_STATEMENT_TIMEOUT_MS as number,
      writeDeadlineMs: values.DB_WRITE_DEADLINE_MS as number,
      connectTimeoutMs: values.DB_CONNECT_TIMEOUT_MS as number,
      idleTimeoutMs: values.DB_IDLE_TIMEOUT_MS as number,
      maxLifetimeSeconds: values.DB_MAX_LIFETIME_S as number,
    },
    log: {
      level: values.LOG_LEVEL as string,
      format: values.LOG_FORMAT as 'json' | 'pretty',
      file: values.LOG_FILE as boolean,
    },
    secretKey: known.secretKey,
    // SQLite has one writer at a time: more processes would only queue on its lock.
    workers: (values.WORKERS as number | undefined) ?? (databaseUrl ? os.availableParallelism() : 1),
    shutdownTimeoutMs: values.SHUTDOWN_TIMEOUT_MS as number,
    shutdownDelayMs: values.SHUTDOWN_DELAY_MS as number,
    portWaitMs: values.PORT_WAIT_MS as number,
    idempotencyTtlHours: values.IDEMPOTENCY_TTL_HOURS as number,
    journal: { maxMegabytes: journalMax, tenantMaxMegabytes: tenantMax ?? journalMax / 4 },
    requestTimeoutMs: values.REQUEST_TIMEOUT_MS as number,
    shedLoadAtDelayMs: values.SHED_LOAD_AT_DELAY_MS as number,
    rateLimits: parseRateLimits((values.RATE_LIMITS as string | undefined) ?? ''),
    trustProxy: known.trustProxy,
    healthDetails: values.HEALTH_DETAILS as Config['healthDetails'],
    redisUrl: values.REDIS_URL as string | undefined,
    alertWebhookUrl: values.ALERT_WEBHOOK_URL as string | undefined,
    extraModules: modulePaths(values.ROBUSTO_MODULES as string | undefined, known.cwd),
    backup: {
      schedule: backupSchedule === undefined || backupSchedule === 'off' ? null : backupSchedule,
      keepDays: values.BACKUP_KEEP_DAYS as number,
      encryptionKey: values.BACKUP_ENCRYPTION_KEY as string | undefined,
    },
  };
}

/**
 * One setting alone, from the environment and `.env` in `cwd`, for a command that needs nothing
 * else (`robusto verify` needs only the backup key): no secret key is generated, and the rest of
 * the configuration need not be valid. Undefined when unset.
 *
 * @throws {ConfigError} when the value is not valid.
 */
export function loadSetting(name: EnvName, env: NodeJS.ProcessEnv, options: LoadConfigOptions = {}): unknown {
  const read = readVariable(name, { ...(options.ignoreDotEnv ? {} : readDotEnv(options.cwd ?? process.cwd())), ...env });
  if (read && 'problem' in read) throw new ConfigError([read.problem]);
  return read?.value;
}

/** One variable from the merged environment: its converted value, why it is invalid, or undefined when unset without a default. */
function readVariable(name: EnvName, merged: Record<string, string | undefined>): { value: unknown } | { problem: LocalText } | undefined {
  const variable: EnvVariable = ENV_VARIABLES[name];
  const given = merged[name];
  const raw = given === undefined || given === '' ? variable.default : given.trim();
  if (raw === undefined) return undefined;
  const value = convert(variable, raw);
  return value === undefined ? { problem: problemLine(name, variable, raw) } : { value };
}

/**
 * Why a schedule is not a usable five-field cron expression, or undefined when it is. Five
 * fields exactly: croner also takes six (seconds first), where "30 2 * * * *" would mean every
 * hour at 02:30 past; and an expression that never comes (31 February) is refused too.
 */
function cronProblem(expression: string): LocalText | undefined {
  const fields = expression.split(/\s+/).length;
  if (fields !== 5) return text('config.reason.cron.fields', { fields });
  try {
    const cron = new Cron(expression, { paused: true });
    const next = cron.nextRun();
    cron.stop();
    return next === null ? text('config.reason.cron.never') : undefined;
  } catch {
    const parts = expression.split(/\s+/);
    const at = badCronField(parts);
    return text('config.reason.cron.invalid', { field: CRON_FIELDS[at] ?? CRON_FIELDS[0], value: parts[at] ?? '' });
  }
}

/** The five fields of a cron expression, as the catalogues name them. */
const CRON_FIELDS = [
  text('config.cron.minute'),
  text('config.cron.hour'),
  text('config.cron.dayOfMonth'),
  text('config.cron.month'),
  text('config.cron.dayOfWeek'),
] as const;

/** Which of a refused expression's five fields the parser refuses on its own (the others as `*`); the first when none alone. */
function badCronField(fields: string[]): number {
  const refused = fields.findIndex((field, at) => {
    try {
      new Cron(fields.map((other, i) => (i === at ? field : '*')).join(' '), { paused: true }).stop();
      return false;
    } catch {
      return true;
    }
  });
  return Math.max(0, refused);
}

/** The module files `ROBUSTO_MODULES` names (comma-separated), as absolute paths resolved from `cwd`. */
export function modulePaths(setting: string | undefined, cwd: string): string[] {
  return (setting ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => path.resolve(cwd, p));
}

/**
 * `TRUST_PROXY` as a list of addresses and CIDR ranges ("loopback" expanded), or why an entry is
 * not one. "off" is the empty list.
 */
function parseTrustProxy(raw: string): string[] | LocalText {
  if (raw === 'off') return [];
  const entries: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    if (entry === 'loopback') {
      entries.push('127.0.0.0/8', '::1');
      continue;
    }
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0) return text('config.reason.proxy.notAddress', { entry });
    if (bits !== undefined && !(/^[0-9]{1,3}$/.test(bits) && Number(bits) <= maxBits)) return text('config.reason.proxy.prefix', { entry, max: maxBits });
    entries.push(entry);
  }
  return entries.length > 0 ? entries : text('config.reason.proxy.empty');
}

/** `RATE_LIMITS` (already checked against its pattern) as a table; `null` when "off". */
function parseRateLimits(raw: string): Record<string, number> | null {
  if (raw === 'off') return null;
  const table: Record<string, number> = {};
  for (const entry of raw.split(',').filter((e) => e.trim() !== '')) {
    const at = entry.lastIndexOf('=');
    table[entry.slice(0, at).trim()] = Number(entry.slice(at + 1));
  }
  return table;
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const member of Object.values(value)) {
    if (member !== null && typeof member === 'object' && !Object.isFrozen(member)) deepFreeze(member as object);
  }
  return Object.freeze(value);
}
