import { readFileSync, readlinkSync } from 'node:fs';

/** Where and with what environment a running supervisor was started. */
export interface SupervisorLaunch {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** True when these were read from the supervisor itself, false when they are this process's own. */
  fromProcess: boolean;
}

/**
 * The working directory and environment of the running supervisor `pid`, read from `/proc` (on
 * Linux, for a process of the same user), so the supervisor a restart starts reads the same
 * `.env`, relative paths and variables as the one it replaces. Elsewhere, this process's own.
 */
export function supervisorLaunch(pid: number): SupervisorLaunch {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    const env: NodeJS.ProcessEnv = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const at = entry.indexOf('=');
      if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    return { cwd, env, fromProcess: true };
  } catch {
    return { cwd: process.cwd(), env: process.env, fromProcess: false };
  }
}

/**
 * The service manager a supervisor runs under, from its environment, or undefined: systemd sets
 * `INVOCATION_ID` for every unit it starts. Such a robusto must be restarted by its manager, or
 * the manager and the restart would each start one.
 */
export function serviceManagerOf(env: NodeJS.ProcessEnv): string | undefined {
  return env.INVOCATION_ID ? 'systemd' : undefined;
}
