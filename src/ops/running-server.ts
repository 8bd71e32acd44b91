import { readFileSync, readlinkSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { redactUrlPassword } from '../shared/secrets.js';
import { DEFAULT_LOCALE } from '../shared/i18n/locale.js';
import { render, text, textIn, type LocalText } from '../shared/i18n/translate.js';
import { readLaunchFile, robustoVariablesOf, runningSupervisorPid } from './supervisor-files.js';

/** Where and with what environment a running supervisor was started. */
export interface SupervisorLaunch {
  cwd: string;
  /** Its whole environment: what a restart starts the next supervisor with. */
  env: NodeJS.ProcessEnv;
  /** robusto's own variables in it, as the supervisor recorded them (or as read from `/proc`). */
  settings: Record<string, string>;
}

/** The supervisor serving a `DATA_DIR`, with its settings read as it reads them. */
export interface RunningServer {
  pid: number;
  launch: SupervisorLaunch;
  config: Readonly<Config>;
  /** Each setting where the caller's environment says otherwise, as a line naming both values (a text of the catalogues). */
  differences: LocalText[];
}

/** The running server's settings no longer load (its `.env` was edited into an invalid one, say). */
export class ServerSettingsError extends Error {
  /** The message as a text of the catalogues, to be written in the reader's language (`message` is English). */
  readonly text: LocalText;

  constructor(said: LocalText) {
    super(render(DEFAULT_LOCALE, said));
    this.text = said;
  }
}

function fromProc(pid: number): { cwd: string; env: NodeJS.ProcessEnv } | undefined {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    const env: NodeJS.ProcessEnv = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const at = entry.indexOf('=');
      if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
    }
    return { cwd, env };
  } catch {
    return undefined;
  }
}

/**
 * How the supervisor `pid` of `dataDir` was started: its folder and robusto's variables from the
 * launch file it keeps there; its whole environment from `/proc` (Linux, same user), else this
 * process's own with robusto's variables replaced by the recorded ones. Without a launch file
 * (a supervisor that keeps none), `/proc` alone, else this process's own.
 */
export function supervisorLaunch(pid: number, dataDir: string): SupervisorLaunch {
  const recorded = readLaunchFile(dataDir, pid);
  const proc = fromProc(pid);
  if (recorded) {
    const env = proc?.env ?? { ...withoutRobustoVariables(process.env), ...recorded.env };
    return { cwd: recorded.cwd, env, settings: recorded.env };
  }
  if (proc) return { ...proc, settings: robustoVariablesOf(proc.env) };
  return { cwd: process.cwd(), env: process.env, settings: robustoVariablesOf(process.env) };
}

function withoutRobustoVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = robustoVariablesOf(env);
  return Object.fromEntries(Object.entries(env).filter(([name]) => !(name in own)));
}

/** The settings an operations command acts on, each with how to show it. */
const COMPARED: ReadonlyArray<{ name: string; of: (config: Readonly<Config>) => string | LocalText }> = [
  { name: 'HOST', of: (c) => c.host },
  { name: 'PORT', of: (c) => String(c.port) },
  { name: 'DATABASE_URL', of: (c) => (c.databaseUrl ? redactUrlPassword(c.databaseUrl) : text('server.sqliteUnset', { file: c.paths.sqliteFile })) },
  { name: 'BACKUP_DIR', of: (c) => c.paths.backupsDir },
];

/**
 * Each compared setting (host, port, database, backup folder) where `own` (the caller's
 * environment) and `server` (the running server's) differ, as one line naming both values.
 */
export function settingDifferences(own: Readonly<Config>, server: Readonly<Config>): LocalText[] {
  const shown = (value: string | LocalText) => textIn(DEFAULT_LOCALE, value);
  return COMPARED.filter(({ of }) => shown(of(own)) !== shown(of(server))).map(({ name, of }) =>
    text('server.differs', { name, server: of(server), own: of(own) }),
  );
}

/**
 * The supervisor serving `own`'s `DATA_DIR`, found through its pid file, with its settings read
 * from what it recorded (never this shell's, which may differ: another `PORT`, another
 * `DATABASE_URL`), and the differences named. Undefined when none runs. Writes nothing.
 *
 * @throws {ServerSettingsError} when the server's recorded settings no longer load.
 */
export function findRunningServer(own: Readonly<Config>): RunningServer | undefined {
  const pid = runningSupervisorPid(own.paths.dataDir);
  if (pid === undefined) return undefined;
  const launch = supervisorLaunch(pid, own.paths.dataDir);
  let config: Readonly<Config>;
  try {
    ({ config } = loadConfig(launch.settings, { cwd: launch.cwd, readOnly: true }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ServerSettingsError(text('server.settingsBroken', { cwd: launch.cwd, problems: error.texts }));
  }
  return { pid, launch, config, differences: settingDifferences(own, config) };
}

/**
 * The service manager a supervisor runs under, from its environment, or undefined: systemd sets
 * `INVOCATION_ID` for every unit it starts. Such a robusto must be restarted by its manager, or
 * the manager and the restart would each start one.
 */
export function serviceManagerOf(env: NodeJS.ProcessEnv): string | undefined {
  return env.INVOCATION_ID ? 'systemd' : undefined;
}
