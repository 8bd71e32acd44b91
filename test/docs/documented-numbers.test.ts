// The numbers the reference documents are the code's: each phrase below is built from the
// constant it states, so changing a value without its documentation (or the other way round)
// fails here, while the behaviour tests may use the constants freely.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_MEMBERS } from '../../src/http/body-members.js';
import { MAX_LISTED_ERRORS } from '../../src/http/error-handler.js';
import { RATE_LIMITS_PER_MINUTE } from '../../src/http/rate-limits.js';
import { CLOCK_JUMP_MS, LATE_MARGIN_MS } from '../../src/jobs/job-runner.js';
import { CLOCK_LEEWAY_MS } from '../../src/jobs/job-store.js';
import { LOGIN_BODY_LIMIT_BYTES, SIGN_IN_LIMIT_PER_IP_PER_MINUTE } from '../../src/modules/auth/auth.routes.js';
import {
  FAILURE_MEMORY_MS,
  FREE_FAILURES,
  HASHING_CONCURRENCY,
  HASHING_QUEUE,
  HASHING_RETRY_AFTER_SECONDS,
  MAX_FAILURE_DELAY_SECONDS,
} from '../../src/modules/auth/auth.sign-in-guard.js';
import { FATAL_DRAIN_MS } from '../../src/runtime/process-handlers.js';
import { CIRCUIT_HALF_OPEN_MS, CIRCUIT_OPEN_AFTER_FAILURES } from '../../src/resilience/circuit.js';
import { ENV_VARIABLES } from '../../src/config/config.schema.js';
import { REPLAY_BATCH_SIZE, REPLAY_MAX_UNFINISHED_ATTEMPTS } from '../../src/resilience/replayer.js';
import { ANALYZE_AFTER_REPLAYED_WRITES } from '../../src/resilience/statistics-after-replay.js';
import { TOKEN_ISSUED_LEEWAY_MS, TOKEN_LIFETIME_MS } from '../../src/identity/tokens.js';
import { RESTART_JOURNAL_WAIT_MS } from '../../src/ops/restart/restart-run.js';
import { PROJECT_ROOT } from '../support/spawn-robusto.js';

const doc = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8').replace(/\s+/g, ' ');
const thousands = (n: number) => n.toLocaleString('en').replace(/,/g, ' ');
/** "02:30" for the cron expression "30 2 * * *". */
const timeOfDay = (cron: string) => {
  const [minute = '', hour = ''] = cron.split(' ');
  return `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
};

const DOCUMENTED: Array<[file: string, phrase: string]> = [
  ['docs/production.md', `when the journal drains more than ${ANALYZE_AFTER_REPLAYED_WRITES.toLocaleString('en')} writes`],
  ['docs/pt-BR/production.md', `quando o diário aplica mais de ${ANALYZE_AFTER_REPLAYED_WRITES.toLocaleString('pt-BR')} gravações`],
  ['docs/pt-BR/painel.md', `por até ${TOKEN_LIFETIME_MS / 3_600_000} horas`],
  ['docs/pt-BR/banco-caiu.md', `\`DB_WRITE_DEADLINE_MS\` (${Number(ENV_VARIABLES.DB_WRITE_DEADLINE_MS.default) / 1000} segundo por padrão)`],
  ['docs/pt-BR/banco-caiu.md', `\`JOURNAL_MAX_MB\` (${ENV_VARIABLES.JOURNAL_MAX_MB.default} MB por padrão)`],
  ['docs/pt-BR/backup.md', `todo dia às ${timeOfDay(ENV_VARIABLES.BACKUP_SCHEDULE.default)}`],
  ['docs/pt-BR/backup.md', `\`BACKUP_KEEP_DAYS\` dias (${ENV_VARIABLES.BACKUP_KEEP_DAYS.default} por padrão)`],
  ['docs/api.md', `${SIGN_IN_LIMIT_PER_IP_PER_MINUTE} tries per minute from one IP address`],
  ['docs/api.md', `before its body of at most ${LOGIN_BODY_LIMIT_BYTES / 1024} KiB is read`],
  ['docs/api.md', `that failed ${FREE_FAILURES} times waits before each next try, 1 s, then 2, 4… up to ${MAX_FAILURE_DELAY_SECONDS} s`],
  ['docs/api.md', `forgotten after ${FAILURE_MEMORY_MS / 60_000} quiet minutes`],
  ['docs/api.md', `password hashing runs ${HASHING_CONCURRENCY} at a time with ${HASHING_QUEUE} waiting`],
  ['docs/api.md', `\`Retry-After: ${HASHING_RETRY_AFTER_SECONDS}\``],
  ['SECURITY.md', `One address may try ${SIGN_IN_LIMIT_PER_IP_PER_MINUTE} sign-ins a minute`],
  ['SECURITY.md', `an account that failed ${FREE_FAILURES} times waits 1 s, then 2, 4… up to ${MAX_FAILURE_DELAY_SECONDS} s`],
  ['SECURITY.md', `runs ${HASHING_CONCURRENCY} at a time with ${HASHING_QUEUE} waiting`],
  ['SECURITY.md', `a body of more than ${MAX_BODY_MEMBERS} members is refused before validation; a problem lists at most ${MAX_LISTED_ERRORS} invalid fields`],
  ['docs/resilience.md', `a body of more than ${MAX_BODY_MEMBERS} fields`],
  ['docs/resilience.md', `a problem lists at most ${MAX_LISTED_ERRORS} fields`],
  ['docs/resilience.md', `those in flight get ${FATAL_DRAIN_MS / 1000} s to finish`],
  ['docs/resilience.md', `opens after ${CIRCUIT_OPEN_AFTER_FAILURES} consecutive failed writes`],
  ['docs/production.md', `After ${CIRCUIT_OPEN_AFTER_FAILURES} consecutive failed writes the circuit breaker opens`],
  ['docs/production.md', `a probe tries the database every ${CIRCUIT_HALF_OPEN_MS} ms`],
  ['docs/production.md', `each walk waits \`DB_CONNECT_TIMEOUT_MS\` for it (${Number(ENV_VARIABLES.DB_CONNECT_TIMEOUT_MS.default) / 1000} s by default)`],
  ['docs/pt-BR/production.md', `Depois de ${CIRCUIT_OPEN_AFTER_FAILURES} escritas seguidas que falharam, o disjuntor abre`],
  ['docs/pt-BR/production.md', `uma sonda tenta o banco a cada ${CIRCUIT_HALF_OPEN_MS} ms`],
  [
    'docs/pt-BR/production.md',
    `cada volta espera \`DB_CONNECT_TIMEOUT_MS\` por ele (${Number(ENV_VARIABLES.DB_CONNECT_TIMEOUT_MS.default) / 1000} s por padrão)`,
  ],
  ['docs/resilience.md', `tries the database every ${CIRCUIT_HALF_OPEN_MS} ms`],
  ['docs/resilience.md', `in batches of up to ${thousands(REPLAY_BATCH_SIZE)} entries`],
  ['docs/resilience.md', `parked as dead after ${REPLAY_MAX_UNFINISHED_ATTEMPTS} unfinished attempts`],
  ['docs/operations.md', `when it jumped by more than a minute`],
  ['docs/operations.md', `stored further ahead than it could be (by more than ${CLOCK_LEEWAY_MS / 60_000} minutes)`],
  ['docs/operations.md', `longer than its period plus ${LATE_MARGIN_MS / 60_000} minutes`],
  ['docs/configuration.md', `\`default=${RATE_LIMITS_PER_MINUTE.default}\``],
  ['docs/configuration.md', `\`POST /api/customers\`, \`/api/products\`, \`/api/students\` ${RATE_LIMITS_PER_MINUTE['POST /api/students']}`],
  ['docs/configuration.md', `\`POST /api/stock/use\` ${RATE_LIMITS_PER_MINUTE['POST /api/stock/use']}`],
  ['docs/configuration.md', `\`POST /api/auth/users\` ${RATE_LIMITS_PER_MINUTE['POST /api/auth/users']}`],
];

describe('the documented numbers are the code’s', () => {
  it.each(DOCUMENTED)('%s says "%s"', (file, phrase) => {
    expect(doc(file)).toContain(phrase);
  });

  it('the constants whose words the documents use have the values those words mean', () => {
    // "more than a minute", "a token issued in the future (beyond a minute)"
    expect(CLOCK_JUMP_MS).toBe(60_000);
    expect(TOKEN_ISSUED_LEEWAY_MS).toBe(60_000);
    // "espera até um minuto que as gravações do diário sejam aplicadas" (docs/pt-BR/reinicio-seguro.md)
    expect(RESTART_JOURNAL_WAIT_MS).toBe(60_000);
    // customers, products and students share one figure in the table
    expect(RATE_LIMITS_PER_MINUTE['POST /api/customers']).toBe(RATE_LIMITS_PER_MINUTE['POST /api/students']);
    expect(RATE_LIMITS_PER_MINUTE['POST /api/products']).toBe(RATE_LIMITS_PER_MINUTE['POST /api/students']);
  });
});
