import { Command } from 'commander';
import { packageInfo } from '../config/package-info.js';
import { registerBackupCommands } from './backup.js';
import { registerDoctorCommand } from './doctor.js';
import { registerJournalCommands } from './journal.js';
import { registerMigrateCommand } from './migrate.js';
import { registerRestartCommand } from './restart.js';
import { registerServeCommands } from './serve.js';
import { registerTenantCommands } from './tenant.js';
import { registerUserCommands } from './user.js';
import { commanderRefusal, helpText, helpTitle } from './command-locale.js';

/** Commander's exits that are no refusal: help and the version, already written. */
const NOT_REFUSALS = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

/** Builds the `robusto` command line: one sub-command per file in `cli/`. */
export function buildProgram(): Command {
  const program = new Command('robusto')
    .description(helpText('help.robusto'))
    .version(packageInfo().version, '-V, --version', helpText('help.version'))
    // Every sub-command inherits these: --help in the shell's language too.
    .configureHelp({ styleTitle: helpTitle })
    .helpOption('-h, --help', helpText('help.help'))
    .helpCommand('help [command]', helpText('help.helpCommand'))
    // Commander's refusals (an unknown option, a missing argument…) in the shell's language:
    // its English line is not written; the exit hook writes it from the catalogue, then
    // commander exits with its own code.
    .configureOutput({ outputError: () => undefined })
    .exitOverride((error) => {
      if (!NOT_REFUSALS.has(error.code)) process.stderr.write(`${commanderRefusal(error)}\n`);
    });
  registerServeCommands(program);
  registerDoctorCommand(program);
  registerMigrateCommand(program);
  registerTenantCommands(program);
  registerUserCommands(program);
  registerJournalCommands(program);
  registerBackupCommands(program);
  registerRestartCommand(program);
  return program;
}
