import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { runningSupervisorPid } from '../../supervisor-files.js';
import { required, request, RESTART_READY_WAIT_MS, RestartStepError, until, type PhaseResult, type RestartRun } from '../restart-run.js';
import { text, type LocalText } from '../../../shared/i18n/translate.js';

/**
 * Starts `robusto start` again, detached, with the old supervisor's working directory and
 * environment, its output appended to `DATA_DIR/logs/robusto-console.log`, and waits for
 * `/health/ready`.
 */
export async function start(run: RestartRun): Promise<PhaseResult> {
  const { config } = run;
  const launch = required(run.launch, 'how the supervisor was started');
  run.startedAt = new Date().toISOString();
  mkdirSync(config.paths.logsDir, { recursive: true });
  const consoleFile = path.join(config.paths.logsDir, 'robusto-console.log');
  const output = openSync(consoleFile, 'a');
  let failure: LocalText | undefined;
  try {
    const child = spawn(process.execPath, [...process.execArgv, run.bin, 'start'], {
      cwd: launch.cwd,
      env: launch.env,
      detached: true,
      stdio: ['ignore', output, output],
    });
    child.once('error', (error) => (failure = text('restart.start.cannotStart', { error: error.message })));
    child.once(
      'exit',
      (code, signal) => (failure = text('restart.start.exited', { how: signal ?? text('restart.start.exitCode', { code: String(code) }), file: consoleFile })),
    );
    child.unref();
  } finally {
    closeSync(output);
  }
  const ready = await until(async () => failure !== undefined || (await request(`${run.base}/health/ready`))?.status === 200, RESTART_READY_WAIT_MS);
  if (failure) throw new RestartStepError(failure);
  if (!ready)
    throw new RestartStepError(text('restart.start.notReady', { url: `${run.base}/health/ready`, seconds: RESTART_READY_WAIT_MS / 1000, file: consoleFile }));
  return { detail: text('restart.start.done', { pid: String(runningSupervisorPid(config.paths.dataDir) ?? '?'), url: run.base }) };
}
