import type { Config } from '../../config/config.js';
import { createDb } from '../../db/create-db.js';
import type { Logger } from '../../log/create-logger.js';
import { errorText } from '../../shared/error-text.js';
import { findRunningServer, ServerSettingsError } from '../running-server.js';
import { backup } from './phases/backup.js';
import { check } from './phases/check.js';
import { find } from './phases/find.js';
import { journal } from './phases/journal.js';
import { start } from './phases/start.js';
import { stop } from './phases/stop.js';
import { writeRestartReport, type RestartOutcome, type RestartStep } from './restart-report.js';
import { RestartStepError, type RestartPhase, type RestartRun } from './restart-run.js';
import { DEFAULT_LOCALE, type Locale } from '../../shared/i18n/locale.js';
import { t } from '../../shared/i18n/translate.js';

export type { RestartOutcome, RestartStep } from './restart-report.js';

/** Options of {@link safeRestart}: the script `robusto start` runs from, the clock for the report's name, and the report's language (English by default). */
export interface SafeRestartOptions {
  bin: string;
  now?: Date;
  locale?: Locale;
}

/** The phases in order; from the stop until the start has answered, an interrupt is held. */
const PHASES: ReadonlyArray<{ phase: RestartStep['phase']; run: RestartPhase; holdsInterrupts?: true }> = [
  { phase: 'find', run: find },
  { phase: 'backup', run: backup },
  { phase: 'journal', run: journal },
  { phase: 'stop', run: stop, holdsInterrupts: true },
  { phase: 'start', run: start, holdsInterrupts: true },
  { phase: 'check', run: check },
];

/**
 * Restarts a running `robusto start` safely (docs/operations.md, "Safe restart"), phase by phase, and
 * stops at the first phase that fails:
 *
 * 1. **find** the supervisor of this `DATA_DIR` (its pid file) and read its settings from what it
 *    recorded there: every later phase uses them, and each one this shell's environment says
 *    otherwise is named as a warning; one restart at a time (a lock); one run by systemd is
 *    left to systemd;
 * 2. **backup** the database into `BACKUP_DIR` and verify it: until here nothing was changed;
 * 3. **journal**: wait (up to a minute) for the writes waiting in the journal to be applied;
 *    what is still there is on disk and is applied after the start;
 * 4. **stop** it with SIGTERM (it drains its requests), wait for it to exit and the port to be
 *    free, then count every table's rows;
 * 5. **start** `robusto start` again, detached, with the old supervisor's working directory and
 *    environment, its output appended to `DATA_DIR/logs/robusto-console.log`, and wait for
 *    `/health/ready`. From the stop until here, Ctrl-C does not interrupt it;
 * 6. **check**: no table holds fewer rows than at the stop (unless users have written since
 *    the start: then a warning); a customer created, read and deleted through the API as the
 *    first owner (only a read while writes wait in the journal); `/health` latency.
 *
 * Writes a Markdown report into `DATA_DIR/reports/` whatever the outcome. Safe to run twice:
 * the second run restarts the server the first one started.
 */
export async function safeRestart(own: Readonly<Config>, log: Logger, options: SafeRestartOptions): Promise<RestartOutcome> {
  const started = options.now ?? new Date();
  const outcome: RestartOutcome = {
    ok: false,
    stopped: false,
    steps: [],
    warnings: [],
    counts: [],
    latencyMs: { health: [], api: {} },
    backupDir: undefined,
    report: '',
  };
  const config = runningServerConfig(own, outcome);
  if (!config) {
    outcome.report = writeRestartReport(own, outcome, started, options.locale);
    return outcome;
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const run: RestartRun = { config, db: createDb(config, log), bin: options.bin, host, base: `http://${host}:${config.port}`, outcome };
  const hold = interruptHold(options.locale ?? DEFAULT_LOCALE);
  try {
    if (await runPhases(run, hold)) outcome.ok = true;
    return outcome;
  } finally {
    hold(false);
    try {
      run.release?.();
    } finally {
      try {
        outcome.report = writeRestartReport(config, outcome, started, options.locale);
      } finally {
        await run.db.close();
      }
    }
  }
}

/**
 * The running server's settings, not this shell's: restarting a server on PORT=19600 from a
 * shell without PORT must back up, stop, start and check that one. Each difference from this
 * shell is a warning; settings that cannot be read are a failed `find` step, and undefined.
 */
function runningServerConfig(own: Readonly<Config>, outcome: RestartOutcome): Readonly<Config> | undefined {
  try {
    const server = findRunningServer(own);
    if (!server) return own;
    outcome.warnings.push(...server.differences);
    return server.config;
  } catch (error) {
    if (!(error instanceof ServerSettingsError)) throw error;
    outcome.steps.push({ phase: 'find', ok: false, detail: error.text, ms: 0 });
    return undefined;
  }
}

/**
 * Holds interrupts (SIGINT, SIGTERM) while `on`: once the old server is stopped, an interrupt
 * must not leave the installation without one. Each is answered with a line saying so.
 */
function interruptHold(locale: Locale): (on: boolean) => void {
  const holdInterrupts = () => process.stderr.write(`${t(locale, 'restart.holdingInterrupts')}\n`);
  let holding = false;
  return (on) => {
    if (on === holding) return;
    holding = on;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      if (on) process.on(signal, holdInterrupts);
      else process.off(signal, holdInterrupts);
    }
  };
}

/** Runs the phases in order, each a step of the outcome, holding interrupts where the phase says; false at the first that fails. */
async function runPhases(run: RestartRun, hold: (on: boolean) => void): Promise<boolean> {
  for (const { phase, run: runPhase, holdsInterrupts } of PHASES) {
    hold(holdsInterrupts === true);
    const at = performance.now();
    try {
      const { detail } = await runPhase(run);
      run.outcome.steps.push({ phase, ok: true, detail, ms: Math.round(performance.now() - at) });
    } catch (error) {
      run.outcome.steps.push({
        phase,
        ok: false,
        detail: error instanceof RestartStepError ? error.text : errorText(error),
        ms: Math.round(performance.now() - at),
      });
      return false;
    }
  }
  return true;
}
