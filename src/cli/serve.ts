import { Option, type Command } from 'commander';
import { serve } from '../runtime/serve.js';
import { readStatusFile, runningSupervisorPid, statusFileOf } from '../ops/supervisor-files.js';
import { supervise } from '../ops/supervisor/supervisor.js';
import { STANDBY_OPTION } from '../shared/cluster-messages.js';
import { findRunningServer, ServerSettingsError } from '../ops/running-server.js';
import type { Config } from '../config/config.js';
import { loadEnvironment } from './load-environment.js';

/** Where this shell's settings and the running server's differ, one line each (the server's own are what count). */
function serverDifferences(config: Readonly<Config>): string[] {
  try {
    return findRunningServer(config)?.differences ?? [];
  } catch (error) {
    if (error instanceof ServerSettingsError) return [error.message];
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
    .description('run one HTTP server process (for systemd, containers; also what each worker of "start" runs)')
    .addOption(new Option(STANDBY_OPTION, "as the supervisor's standby: wait to be promoted before listening").hideHelp())
    .action(async (options: { standby?: boolean }) => serve({ ...(await loadEnvironment()), standby: options.standby === true }));
  program
    .command('start')
    .description('start robusto (npm start): a supervisor that runs WORKERS server processes and keeps them running')
    .action(async () => {
      // Each worker runs "serve"; only the primary gets here.
      await supervise({ ...(await loadEnvironment()), workerArgs: ['serve'] });
    });
  program
    .command('reload')
    .description('replace the running workers one at a time, without dropping a request (same as SIGHUP to the supervisor)')
    .action(async () => {
      const { config } = await loadEnvironment({ quiet: true, readOnly: true });
      const pid = runningSupervisorPid(config.paths.dataDir);
      if (!pid) {
        process.stderr.write(`✗ no running robusto supervisor for ${config.paths.dataDir} (start it with "robusto start")\n`);
        process.exitCode = 1;
        return;
      }
      process.kill(pid, 'SIGHUP');
      process.stdout.write(`✓ rolling reload requested (supervisor pid ${pid}); follow it in the log or with "robusto status"\n`);
      for (const difference of serverDifferences(config)) process.stdout.write(`! ${difference}\n`);
    });
  program
    .command('status')
    .description('the supervisor and its workers: state, uptime, restarts, last crash')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { config } = await loadEnvironment({ quiet: true, readOnly: true });
      const pid = runningSupervisorPid(config.paths.dataDir);
      const status = readStatusFile(config.paths.dataDir);
      const differences = pid ? serverDifferences(config) : [];
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ running: pid !== undefined, ...status, differences }, null, 2)}\n`);
      } else if (!pid || !status) {
        process.stdout.write(
          `robusto is not running (${status ? `last status ${status.updatedAt}: ${status.state}` : `no status in ${statusFileOf(config.paths.dataDir)}`})\n`,
        );
      } else {
        const uptime = Math.round((Date.now() - Date.parse(status.startedAt)) / 1000);
        const lines = [
          `robusto ${status.state}, supervisor pid ${status.pid}, up ${uptime} s, at ${status.address} (${status.engine})`,
          `  workers: ${status.workers.filter((w) => w.state === 'ready').length} ready of ${status.workersWanted}`,
          ...status.workers.map((w) => `    #${w.id} pid ${w.pid ?? '?'} ${w.state} since ${w.startedAt}`),
          `  restarts: ${status.restarts}${status.crashLoop ? '  (CRASH LOOP: workers keep dying; see the log)' : ''}`,
          `  reloads:  ${status.reloads}`,
          `  last crash: ${status.lastCrash ? `${status.lastCrash.at} pid ${status.lastCrash.pid ?? '?'}: ${status.lastCrash.reason}` : 'none'}`,
          ...differences.map((d) => `! ${d}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      if (!pid) process.exitCode = 1;
    });
}
