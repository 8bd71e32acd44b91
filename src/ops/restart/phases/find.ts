import { runningSupervisorPid } from '../../supervisor-files.js';
import { acquireRestartLock } from '../restart-lock.js';
import { RestartStepError, type RestartRun, type PhaseResult } from '../restart-run.js';
import { serviceManagerOf, supervisorLaunch } from '../../running-server.js';
import { text } from '../../../shared/i18n/translate.js';

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
  if (!found) throw new RestartStepError(text('restart.find.notRunning', { dataDir: run.config.paths.dataDir }));
  const launch = supervisorLaunch(found, run.config.paths.dataDir);
  const manager = serviceManagerOf(launch.env);
  if (manager) {
    throw new RestartStepError(text('restart.find.serviceManager', { pid: String(found), manager }));
  }
  run.pid = found;
  run.launch = launch;
  return { detail: text('restart.find.found', { pid: String(found) }) };
}
