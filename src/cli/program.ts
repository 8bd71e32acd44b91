import { Command } from 'commander';
import { packageInfo } from '../config/package-info.js';
import { commanderRefusal, helpText, helpTitle } from './command-locale.js';

/** Commander's exits that are no refusal: help and the version, already written. */
const NOT_REFUSALS = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

/**
 * The files of `cli/` in the order `--help` lists them, each with the commands it adds. Only the
 * file of the command being run is imported: a command then loads what it uses, not the server
 * (importing every file took about half a second, which `backup` or `status` paid each time).
 */
const COMMAND_FILES: ReadonlyArray<{ commands: readonly string[]; load: () => Promise<(program: Command) => void> }> = [
  { commands: ['serve', 'start', 'reload', 'status'], load: async () => (await import('./serve.js')).registerServeCommands },
  { commands: ['doctor'], load: async () => (await import('./doctor.js')).registerDoctorCommand },
  { commands: ['migrate'], load: async () => (await import('./migrate.js')).registerMigrateCommand },
  { commands: ['tenant'], load: async () => (await import('./tenant.js')).registerTenantCommands },
  { commands: ['user'], load: async () => (await import('./user.js')).registerUserCommands },
  { commands: ['journal'], load: async () => (await import('./journal.js')).registerJournalCommands },
  { commands: ['backup', 'verify', 'restore', 'prune'], load: async () => (await import('./backup.js')).registerBackupCommands },
  { commands: ['restart'], load: async () => (await import('./restart.js')).registerRestartCommand },
];

/**
 * Builds the `robusto` command line for `argv` (`process.argv`): one sub-command per file in
 * `cli/`, only the one `argv` names when it names one, every one otherwise (help, a refusal).
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
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
  const named = COMMAND_FILES.find((file) => file.commands.includes(argv[2] ?? ''));
  for (const file of named ? [named] : COMMAND_FILES) (await file.load())(program);
  return program;
}
