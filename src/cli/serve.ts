import { Option, type Command } from 'commander';
import { serve } from '../runtime/serve.js';
import { readStatusFile, runningSupervisorPid, statusFileOf } from '../ops/supervisor-files.js';
import { supervise } from '../ops/supervisor/supervisor.js';
import { STANDBY_OPTION } from '../shared/cluster-messages.js';
import { findRunningServer, ServerSettingsError } from '../ops/running-server.js';
import type { Config } from '../config/config.js';
import { loadEnvironment } from './load-environment.js';
import { render, t, text, type LocalText } from '../shared/i18n/translate.js';
import { DEFAULT_LOCALE } from '../shared/i18n/locale.js';
import { commandLocale, helpText } from './command-locale.js';

/** Where this shell's settings and the running server's differ, one line each (the server's own are what count). */
function serverDifferences(config: Readonly<Config>): LocalText[] {
  try {
    return findRunningServer(config)?.differences ?? [];
  } catch (error) {
    if (error instanceof ServerSettingsError) return [error.text];
    throw error;
  }
}

/**
 * Adds `robusto serve` (one server process), `robusto start` (the supervisor and its workers),
 * `robusto reload` (a rolling reload of a running supervisor) and `robusto status`.
 */
export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description(helpText('help.serve'))
    .addOption(new Option(STANDBY_OPTION, "as the supervisor's standby: wait to be promoted before listening").hideHelp())
    .action(async (options: { standby?: boolean }) => serve({ ...(await loadEnvironment()), standby: options.standby === true }));
  program
    .command('start')
    .description(helpText('help.start'))
    .action(async () => {
      // Each worker runs "serve"; only the primary gets here.
      await supervise({ ...(await loadEnvironment()), workerArgs: ['serve'], locale: commandLocale() });
    });
  program.command('reload').description(helpText('help.reload')).action(requestReload);
  program.command('status').description(helpText('help.status')).option('--json', helpText('help.json')).action(printStatus);
}

/** `robusto reload`: SIGHUP to the supervisor of this `DATA_DIR`. */
async function requestReload(): Promise<void> {
  const { config } = await loadEnvironment({ quiet: true, readOnly: true });
  const pid = runningSupervisorPid(config.paths.dataDir);
  if (!pid) {
    process.stderr.write(`${t(commandLocale(), 'reload.notRunning', { dataDir: config.paths.dataDir })}\n`);
    process.exitCode = 1;
    return;
  }
  process.kill(pid, 'SIGHUP');
  process.stdout.write(`${t(commandLocale(), 'reload.requested', { pid: String(pid) })}\n`);
  for (const difference of serverDifferences(config)) process.stdout.write(`! ${render(commandLocale(), difference)}\n`);
}

/** `robusto status [--json]`: the supervisor's status file, read while it runs. */
async function printStatus(options: { json?: boolean }): Promise<void> {
  const { config } = await loadEnvironment({ quiet: true, readOnly: true });
  const pid = runningSupervisorPid(config.paths.dataDir);
  const status = readStatusFile(config.paths.dataDir);
  const differences = pid ? serverDifferences(config) : [];
  if (options.json) {
    const english = differences.map((d) => render(DEFAULT_LOCALE, d));
    process.stdout.write(`${JSON.stringify({ running: pid !== undefined, ...status, differences: english }, null, 2)}\n`);
  } else if (!pid || !status) {
    const why = status
      ? text('status.lastStatus', { at: status.updatedAt, state: status.state })
      : text('status.noStatus', { file: statusFileOf(config.paths.dataDir) });
    process.stdout.write(`${t(commandLocale(), 'status.notRunning', { why })}\n`);
  } else {
    const uptime = Math.round((Date.now() - Date.parse(status.startedAt)) / 1000);
    const locale = commandLocale();
    const crash = status.lastCrash;
    const lines = [
      t(locale, 'status.running', { state: status.state, pid: String(status.pid), uptime, address: status.address, engine: status.engine }),
      t(locale, 'status.workers', { ready: status.workers.filter((w) => w.state === 'ready').length, wanted: status.workersWanted }),
      ...status.workers.map((w) => t(locale, 'status.worker', { id: String(w.id), pid: String(w.pid ?? '?'), state: w.state, since: w.startedAt })),
      t(locale, status.crashLoop ? 'status.restartsCrashLoop' : 'status.restarts', { count: status.restarts }),
      t(locale, 'status.reloads', { count: status.reloads }),
      crash ? t(locale, 'status.lastCrash', { at: crash.at, pid: String(crash.pid ?? '?'), reason: crash.reason }) : t(locale, 'status.noCrash'),
      ...differences.map((d) => `! ${render(locale, d)}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (!pid) process.exitCode = 1;
}
