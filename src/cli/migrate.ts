import type { Command } from 'commander';
import { defaultModuleSources } from '../app.js';
import { createDb } from '../db/create-db.js';
import { migrationStatus } from '../db/migrate.js';
import { ModuleRegistry } from '../modules/module-registry.js';
import { loadEnvironment } from './load-environment.js';

/** Adds `robusto migrate [--status]`: apply pending migrations, or list applied and pending. */
export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations of every module (start-up also does it)')
    .option('--status', 'list applied and pending migrations instead of applying them')
    .action(async (options: { status?: boolean }) => {
      const { config, log } = await loadEnvironment();
      const db = createDb(config, log);
      try {
        const registry = await ModuleRegistry.import(defaultModuleSources(config), log);
        if (options.status) {
          for (const m of registry.modules) {
            for (const state of m.definition?.migrations ? await migrationStatus(db, m.name, m.definition.migrations) : []) {
              process.stdout.write(`${state.appliedAt ? `applied ${state.appliedAt.toISOString()}` : 'pending'}  ${m.name}/${state.name}\n`);
            }
          }
          return;
        }
        const complete = await registry.migrate(db);
        const failed = registry.failed();
        for (const m of failed) process.stderr.write(`✗ ${m.name}: ${m.error}\n`);
        if (!complete) process.stderr.write('✗ the database stopped answering; run robusto migrate again\n');
        if (failed.length > 0 || !complete) process.exitCode = 1;
        else process.stdout.write('✓ migrations up to date\n');
      } finally {
        await db.close();
      }
    });
}
