import type { Command } from 'commander';
import { buildApp } from '../app.js';
import { createDb } from '../db/create-db.js';
import { migrationStatus } from '../db/migrate.js';
import { coreMigrations } from '../db/migrations/core.migrations.js';
import { loadEnvironment } from './load-environment.js';
import { t } from '../shared/i18n/translate.js';
import { commandLocale, helpText } from './command-locale.js';

/** Adds `robusto migrate [--status]`: apply pending migrations, or list applied and pending. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(helpText('help.migrate'))
    .option('--status', helpText('help.migrate.status'))
    .action(async (options: { status?: boolean }) => {
      const { config, log } = await loadEnvironment();
      const locale = commandLocale();
      const db = createDb(config, log);
      try {
        // The same app start-up builds, so migrate does exactly what a start would.
        const app = await buildApp({ config, log, db });
        if (options.status) {
          const owners = [
            { name: 'core', migrations: coreMigrations },
            ...app.registry.modules.map((m) => ({ name: m.name, migrations: m.definition?.migrations ?? {} })),
          ];
          for (const owner of owners) {
            for (const state of await migrationStatus(db, owner.name, owner.migrations)) {
              const migration = `${owner.name}/${state.name}`;
              process.stdout.write(
                `${state.appliedAt ? t(locale, 'migrate.applied', { at: state.appliedAt, migration }) : t(locale, 'migrate.pending', { migration })}\n`,
              );
            }
          }
          return;
        }
        const complete = await app.migrate();
        const failed = app.registry.failed();
        for (const m of failed) process.stderr.write(`✗ ${m.name}: ${m.error}\n`);
        if (!complete) process.stderr.write(`${t(locale, 'migrate.databaseStopped')}\n`);
        if (failed.length > 0 || !complete) process.exitCode = 1;
        else process.stdout.write(`${t(locale, 'migrate.upToDate')}\n`);
        await app.http.close();
      } finally {
        await db.close();
      }
    });
}
