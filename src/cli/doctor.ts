import type { Command } from 'commander';
import { runDoctor } from '../ops/doctor/run-doctor.js';
import { commandLocale } from './command-locale.js';

/** Adds `robusto doctor [--json]`: pre-flight checks, exit 1 on any ✗. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check this installation: Node, packages, data directory, config, database, migrations, modules')
    .option('--json', 'print the checks as JSON')
    .action(async (options: { json?: boolean }) => {
      process.exitCode = await runDoctor({ json: options.json === true, locale: commandLocale() });
    });
}
