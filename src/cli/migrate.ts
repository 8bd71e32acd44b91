import type { Command } from 'commander';
import { buildApp } from '../app.js';
import { createDb } from '../db/create-db.js';
import { migrationStatus } from '../db/migrate.js';
import { coreMigrations } from '../db/migrations/core.migrations.js';
import { loadEnvironment } from './load-environment.js';

/** Adds `robusto migrate [--status]`: apply pending migrations, or list applied and pending. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations of the core and every module (start-up also does it)')
    .option('--status', 'list applied and pending migrations instead of applying them')
    .action(async (options: { status?: boolean }) => {
      const { config, log } = await loadEnvironment();
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
              process.stdout.write(`${state.appliedAt ? `applied ${state.appliedAt.toISOString()}` : 'pending'}  ${owner.name}/${state.name}\n`);
            }
          }
          return;
        }
        const complete = await app.migrate();
        const failed = app.registry.failed();
        for (const m of failed) process.stderr.write(`✗ ${m.name}: ${m.error}\n`);
        if (!complete) process.stderr.write('✗ the database stopped answering; run robusto migrate again\n');
        if (failed.length > 0 || !complete) process.exitCode = 1;
        else process.stdout.write('✓ migrations up to date\n');
        await app.http.close();
      } finally {
        await db.close();
      }
    });
}
