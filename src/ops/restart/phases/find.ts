import { runningSupervisorPid } from '../../supervisor-files.js';
import { acquireRestartLock } from '../restart-lock.js';
import { RestartStepError, type RestartRun, type PhaseResult } from '../restart-run.js';
import { serviceManagerOf, supervisorLaunch } from '../../running-server.js';

/**
 * Finds the supervisor of this `DATA_DIR` (its pid file) and takes the restart lock (one restart
 * at a time); one run by a service manager (systemd) is left to it.
 */
export async function find(run: RestartRun): Promise<PhaseResult> {
  try {
    run.release = acquireRestartLock(run.config.paths.dataDir);
  } catch (error) {
    throw new RestartStepError((error as Error).message);
  }
  const found = runningSupervisorPid(run.config.paths.dataDir);
  if (!found)
    throw new RestartStepError(`robusto is not running for ${run.config.paths.dataDir} (no live supervisor in its pid file): start it with "robusto start"`);
  const launch = supervisorLaunch(found, run.config.paths.dataDir);
  const manager = serviceManagerOf(launch.env);
  if (manager) {
    throw new RestartStepError(
      `the supervisor (pid ${found}) runs under ${manager}, which would start another one: restart it with "systemctl restart <its unit>" (it stops gracefully too), after "robusto backup"`,
    );
  }
  run.pid = found;
  run.launch = launch;
  return { detail: `supervisor pid ${found}` };
}
