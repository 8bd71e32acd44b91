import type { Command } from 'commander';
import { safeRestart } from '../ops/restart/safe-restart.js';
import { loadEnvironment } from './load-environment.js';
import { t, textIn } from '../shared/i18n/translate.js';
import { commandLocale, helpText } from './command-locale.js';

/**
 * Adds `robusto restart`: the safe restart of a running `robusto start` (backup and verify,
 * journal applied, graceful stop, start, checks), each phase printed as it is in the report.
 */
export function registerRestartCommand(program: Command): void {
  program
    .command('restart')
    .description(helpText('help.restart'))
    .action(async () => {
      const { config, log } = await loadEnvironment({ quiet: true, readOnly: true });
      const locale = commandLocale();
      const outcome = await safeRestart(config, log, { bin: process.argv[1] as string, locale });
      for (const step of outcome.steps)
        process.stdout.write(`${step.ok ? '✓' : '✗'} ${t(locale, `restart.phase.${step.phase}`)}: ${textIn(locale, step.detail)}\n`);
      for (const warning of outcome.warnings) process.stdout.write(`! ${textIn(locale, warning)}\n`);
      if (!outcome.ok && !outcome.stopped) process.stdout.write(`  ${t(locale, 'restart.notTouched')}\n`);
      process.stdout.write(`${t(locale, 'restart.reportAt', { path: outcome.report })}\n`);
      if (!outcome.ok) process.exitCode = 1;
    });
}
