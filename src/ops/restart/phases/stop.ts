import { isProcessAlive, runningSupervisorPid } from '../../supervisor-files.js';
import { required, portFree, RESTART_STOP_MARGIN_MS, RestartStepError, rowCounts, until, type PhaseResult, type RestartRun } from '../restart-run.js';

/**
 * Stops the supervisor with SIGTERM (it drains its requests), waits for it to exit and the port
 * to be free, then counts every table's rows.
 */
export async function stop(run: RestartRun): Promise<PhaseResult> {
  const { config } = run;
  const pid = required(run.pid, 'the supervisor');
  // NB: the backup may have taken long: signal only the supervisor found, if it still is.
  const now = runningSupervisorPid(config.paths.dataDir);
  if (now !== pid) throw new RestartStepError(`the supervisor changed while the backup ran (pid ${pid}, now ${now ?? 'none'}); run "robusto restart" again`);
  process.kill(pid, 'SIGTERM');
  run.outcome.stopped = true;
  const deadline = config.shutdownDelayMs + config.shutdownTimeoutMs + RESTART_STOP_MARGIN_MS;
  if (!(await until(() => !isProcessAlive(pid), deadline))) {
    throw new RestartStepError(
      `supervisor pid ${pid} did not exit within ${deadline} ms of SIGTERM; see its log. Stop it (kill ${pid}), then run "robusto start"`,
    );
  }
  if (!(await until(() => portFree(run.host, config.port), 10_000)))
    throw new RestartStepError(`port ${config.port} is still taken after the stop: another process listens there`);
  run.atStop = await rowCounts(run.db);
  return { detail: `pid ${pid} exited after draining its requests; port ${config.port} free` };
}
