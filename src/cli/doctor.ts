import type { Command } from 'commander';
import { runDoctor } from '../ops/doctor/run-doctor.js';
import { commandLocale, helpText } from './command-locale.js';

/** Adds `robusto doctor [--json]`: pre-flight checks, exit 1 on any ✗. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(helpText('help.doctor'))
    .option('--json', helpText('help.doctor.json'))
    .action(async (options: { json?: boolean }) => {
      process.exitCode = await runDoctor({ json: options.json === true, locale: commandLocale() });
    });
}
