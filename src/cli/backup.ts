import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { packageInfo } from '../config/package-info.js';
import { createDb } from '../db/create-db.js';
import type { Database } from '../db/database.js';
import { loadSetting, modulePaths } from '../config/load-config.js';
import { coreMigrations } from '../db/migrations/core.migrations.js';
import { createBackup } from '../ops/backup/backup.js';
import { BackupError, BackupErrorCode, type BackupManifest } from '../ops/backup/manifest.js';
import { pruneBackups } from '../ops/backup/prune.js';
import { assertNewDatabase, checkRestorable, restoreBackup } from '../ops/backup/restore.js';
import { verifyBackup } from '../ops/backup/verify.js';
import { UnreadableFileError } from '../ops/bounded-read.js';
import { errorText } from '../shared/error-text.js';
import { loadEnvironment, type Environment } from './load-environment.js';
import { render, t, text } from '../shared/i18n/translate.js';
import { commandLocale, helpText } from './command-locale.js';
import { terminalProgress } from './backup-progress.js';
import { moduleSources } from '../builtin-modules.js';

/** What went wrong, in the shell's language where robusto says it: a backup error after its code, a file that cannot be read. */
function failureText(error: unknown): string {
  if (error instanceof BackupError) return `${error.code}: ${render(commandLocale(), error.detail)}`;
  if (error instanceof UnreadableFileError) return render(commandLocale(), error.detail);
  return errorText(error);
}

/** Prints a failure of a backup command (its code and what to do) and sets exit code 1. */
function fail(error: unknown): void {
  process.stderr.write(`✗ ${failureText(error)}\n`);
  process.exitCode = 1;
}

/**
 * Runs `work` on the configured database, then closes it; a failure is printed as a ✗ line.
 * `existing`: refuse at once when the SQLite file is not there (opening it would create it).
 */
async function withDatabase(work: (db: Database, env: Environment) => Promise<void>, options: { existing?: boolean } = {}): Promise<void> {
  const env = await loadEnvironment({ quiet: true });
  const { config } = env;
  if (options.existing && config.engine === 'sqlite' && !existsSync(config.paths.sqliteFile)) {
    fail(new BackupError(BackupErrorCode.NO_DATABASE, text('backup.error.noDatabase', { file: config.paths.sqliteFile })));
    return;
  }
  let db: Database | undefined;
  try {
    db = createDb(config, env.log);
    await work(db, env);
  } catch (error) {
    fail(error);
  } finally {
    await db?.close();
  }
}

const rowsIn = (manifest: BackupManifest): number => manifest.tables.reduce((sum, t) => sum + t.rows, 0);

/**
 * Adds `robusto backup`, `verify <dir>`, `restore <dir>` and `prune`: a consistent,
 * engine-neutral copy of the database (see `ops/backup/backup.ts`), its check, its load into an
 * empty database of either engine, and the removal of old copies. Backup and verify are safe
 * while the server runs.
 */
export function registerBackupCommands(program: Command): void {
  addBackupCommand(program);
  addVerifyCommand(program);
  addRestoreCommand(program);
  addPruneCommand(program);
}

/** Adds `robusto backup [--dir <path>]`: a copy of the configured database, safe while the server runs. */
function addBackupCommand(program: Command): void {
  program
    .command('backup')
    .description(helpText('help.backup'))
    .option('--dir <path>', helpText('help.backup.dir'))
    .action(async (options: { dir?: string }) =>
      withDatabase(
        async (db, { config }) => {
          const { dir, manifest } = await createBackup(db, {
            root: path.resolve(options.dir ?? config.paths.backupsDir),
            robustoVersion: packageInfo().version,
            encryptionKey: config.backup.encryptionKey,
            progress: terminalProgress(process.stderr, 'backup', commandLocale()),
          });
          process.stdout.write(`${t(commandLocale(), 'backup.written', { dir, tables: manifest.tables.length, rows: rowsIn(manifest) })}\n`);
        },
        { existing: true },
      ),
    );
}

/** Adds `robusto verify <dir>`: checks a backup with its files alone, wherever it was copied. */
function addVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(helpText('help.verify'))
    .argument('<dir>', helpText('help.backupDirArgument'))
    .action(async (dir: string) => {
      try {
        // Only the backup key and the extra modules: verify works with the backup alone, wherever it was copied.
        const encryptionKey = loadSetting('BACKUP_ENCRYPTION_KEY', process.env) as string | undefined;
        const extraModules = modulePaths(loadSetting('ROBUSTO_MODULES', process.env) as string | undefined, process.cwd());
        const { manifest, problemTexts, noteTexts } = await verifyBackup(path.resolve(dir), {
          encryptionKey,
          extraModules,
          progress: terminalProgress(process.stderr, 'verify', commandLocale()),
        });
        for (const note of noteTexts) process.stderr.write(`! ${render(commandLocale(), note)}\n`);
        if (problemTexts.length === 0) {
          const facts = { dir, tables: manifest.tables.length, at: manifest.createdAt, engine: manifest.engine, version: manifest.robustoVersion };
          process.stdout.write(`${t(commandLocale(), manifest.hmac ? 'backup.soundAuthenticated' : 'backup.sound', facts)}\n`);
          return;
        }
        for (const problem of problemTexts) process.stderr.write(`✗ ${render(commandLocale(), problem)}\n`);
        process.exitCode = 1;
      } catch (error) {
        fail(error);
      }
    });
}

/** Adds `robusto restore <dir>`: loads a backup into the configured database, which must be new. */
function addRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description(helpText('help.restore'))
    .argument('<dir>', helpText('help.backupDirArgument'))
    .option('--allow-unencrypted', helpText('help.restore.allowUnencrypted'))
    .option('--allow-unauthenticated', helpText('help.restore.allowUnauthenticated'))
    .action(async (dir: string, options: { allowUnencrypted?: boolean; allowUnauthenticated?: boolean }) =>
      withDatabase(async (db, { config, log }) => {
        // The modules (whose migrations create the schema) load while the backup is checked.
        const modules = import('../modules/module-registry.js').then(({ ModuleRegistry }) => ModuleRegistry.import(moduleSources(config.extraModules), log));
        // NB: awaited below; a check that fails first must not leave a failed import unhandled.
        modules.catch(() => undefined);
        // Before anything is changed: a database in use, a missing or wrong key, a damaged, incomplete or unauthenticated backup is refused as it is.
        await assertNewDatabase(db);
        const checked = await checkRestorable(path.resolve(dir), config.backup.encryptionKey, {
          ...options,
          extraModules: config.extraModules,
          progress: terminalProgress(process.stderr, 'verify', commandLocale()),
        });
        const { manifest } = checked;
        for (const warning of checked.warnings) process.stderr.write(`! ${render(commandLocale(), warning)}\n`);
        // The schema the backup needs: every migration, but not the modules' start-up work
        // (the first start's owner would make the database not empty).
        await (await modules).migrateSchema(db, coreMigrations);
        await restoreBackup(db, path.resolve(dir), { checked, progress: terminalProgress(process.stderr, 'restore', commandLocale()) });
        process.stdout.write(
          `${t(commandLocale(), 'backup.restored', { rows: rowsIn(manifest), tables: manifest.tables.length, dir, engine: config.engine })}\n`,
        );
      }),
    );
}

/** Adds `robusto prune`: deletes the backups older than BACKUP_KEEP_DAYS, always keeping the newest. */
function addPruneCommand(program: Command): void {
  program
    .command('prune')
    .description(helpText('help.prune'))
    .option('--dir <path>', helpText('help.prune.dir'))
    .option('--keep-days <n>', helpText('help.prune.keepDays'))
    .action(async (options: { dir?: string; keepDays?: string }) => {
      const { config } = await loadEnvironment({ quiet: true });
      const keepDays = options.keepDays === undefined ? config.backup.keepDays : Number(options.keepDays);
      if (!Number.isInteger(keepDays) || keepDays < 0) {
        process.stderr.write(`${t(commandLocale(), 'backup.badKeepDays', { value: String(options.keepDays) })}\n`);
        process.exitCode = 1;
        return;
      }
      try {
        const deleted = await pruneBackups(path.resolve(options.dir ?? config.paths.backupsDir), { keepDays });
        process.stdout.write(`${t(commandLocale(), 'backup.pruned', { count: deleted.length, days: keepDays })}${deleted.map((d) => `\n  ${d}`).join('')}\n`);
      } catch (error) {
        fail(error);
      }
    });
}
