import { ConfigError, loadConfig } from '../config/load-config.js';
import type { Config } from '../config/config.js';
import { createLogger, type Logger } from '../log/create-logger.js';
import { t, textIn } from '../shared/i18n/translate.js';
import { commandLocale } from './command-locale.js';

/** The validated config and a logger, ready for a command. */
export interface Environment {
  config: Readonly<Config>;
  log: Logger;
}

/**
 * Loads the configuration and creates the logger for a command (`quiet`: warnings and errors
 * only, for commands whose output is their result; `readOnly`: nothing is written, see
 * `LoadConfigOptions.readOnly`). An invalid configuration is
 * printed, one line per problem, and the process exits 1: nothing half-starts.
 */
export async function loadEnvironment(options: { quiet?: boolean; readOnly?: boolean } = {}): Promise<Environment> {
  try {
    const { config, warnings } = loadConfig(process.env, { readOnly: options.readOnly === true });
    // A command that only looks writes no log file either: its folder may not be robusto's.
    const log = await createLogger(options.readOnly ? { ...config, log: { ...config.log, file: false } } : config, { locale: commandLocale() });
    // Administrative commands print their result; routine log lines would bury it.
    if (options.quiet && ['info', 'debug', 'trace'].includes(config.log.level)) log.level = 'warn';
    for (const warning of warnings) log.warn(warning);
    return { config, log };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const locale = commandLocale();
    process.stderr.write(`${t(locale, 'cli.config.invalid')}\n${error.texts.map((p) => `  ${textIn(locale, p)}`).join('\n')}\n`);
    process.exit(1);
  }
}
