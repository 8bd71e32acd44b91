#!/usr/bin/env node
// The robusto binary: parse the command, nothing else. Everything beyond Node's builtins is
// imported dynamically, so an unsupported Node.js or a missing package is reported with its fix
// instead of a stack trace or a native crash.
import { checkNodeVersion, missingPackageOf } from './ops/doctor/check-packages.js';
import { localeFromEnvironment } from './shared/i18n/locale.js';
import { t, textIn } from './shared/i18n/translate.js';

async function main(argv: string[]): Promise<void> {
  // Everything robusto writes (databases, journal, keys, logs, backups) is for its owner's eyes
  // only, whatever umask it was started with: files 0600, directories 0700.
  process.umask(0o077);
  const node = checkNodeVersion();
  // In the shell's language, as every command writes (the catalogues need no package).
  const locale = localeFromEnvironment(process.env);
  if (!node.ok && argv[2] !== 'doctor') {
    const detail = node.says ? textIn(locale, node.says.detail) : node.detail;
    const fix = node.says?.fix ? textIn(locale, node.says.fix) : node.fix;
    process.stderr.write(`robusto: ${detail}.\n  ${t(locale, 'doctor.fixLabel')}: ${fix}.\n`);
    process.exitCode = 1;
    return;
  }
  try {
    const { buildProgram } = await import('./cli/program.js');
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (error) {
    const missing = missingPackageOf(error);
    if (!missing) throw error;
    if (argv[2] === 'doctor') {
      const { runDoctor } = await import('./ops/doctor/run-doctor.js');
      process.exitCode = await runDoctor({ json: argv.includes('--json') });
      return;
    }
    process.stderr.write(`${t(locale, 'cli.packageMissing', { name: missing })}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
