import { ConfigError, loadConfig } from '../config/load-config.js';
import type { Config } from '../config/config.js';
import { createLogger, type Logger } from '../log/create-logger.js';

/** The validated config and a logger, ready for a command. */
export interface Environment {
  config: Readonly<Config>;
  log: Logger;
}

/**
 * Loads the configuration and creates the logger for a command. An invalid configuration is
 * printed, one line per problem, and the process exits 1: nothing half-starts.
 */
export async function loadEnvironment(): Promise<Environment> {
  try {
    const { config, warnings } = loadConfig(process.env);
    const log = await createLogger(config);
    for (const warning of warnings) log.warn(warning);
    return { config, log };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`robusto: invalid configuration, not starting\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exit(1);
  }
}
