import { isProcessAlive, runningSupervisorPid } from '../../supervisor-files.js';
import { required, portFree, RESTART_STOP_MARGIN_MS, RestartStepError, rowCounts, until, type PhaseResult, type RestartRun } from '../restart-run.js';
import { text } from '../../../shared/i18n/translate.js';

/**
 * Stops the supervisor with SIGTERM (it drains its requests), waits for it to exit and the port
 * to be free, then counts every table's rows.
 */
export async function stop(run: RestartRun): Promise<PhaseResult> {
  const { config } = run;
  const pid = required(run.pid, 'the supervisor');
  // NB: the backup may have taken long: signal only the supervisor found, if it still is.
  const now = runningSupervisorPid(config.paths.dataDir);
  if (now !== pid)
    throw new RestartStepError(text('restart.stop.changed', { pid: String(pid), now: now === undefined ? text('restart.stop.none') : String(now) }));
  process.kill(pid, 'SIGTERM');
  run.outcome.stopped = true;
  const deadline = config.shutdownDelayMs + config.shutdownTimeoutMs + RESTART_STOP_MARGIN_MS;
  if (!(await until(() => !isProcessAlive(pid), deadline))) {
    throw new RestartStepError(text('restart.stop.noExit', { pid: String(pid), ms: deadline }));
  }
  if (!(await until(() => portFree(run.host, config.port), 10_000))) throw new RestartStepError(text('restart.stop.portTaken', { port: String(config.port) }));
  run.atStop = await rowCounts(run.db);
  return { detail: text('restart.stop.done', { pid: String(pid), port: String(config.port) }) };
}
