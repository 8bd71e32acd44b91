import { buildApp, type RobustoApp } from '../app.js';
import { createDb } from '../db/create-db.js';
import type { Environment } from './load-environment.js';
import { loadEnvironment } from './load-environment.js';
import { t } from '../shared/i18n/translate.js';
import { commandLocale } from './command-locale.js';

/**
 * Runs an administrative command against a migrated app that does not listen: the same modules,
 * commands and audit trail as the server. Exits 1 if the database cannot be migrated.
 */
export async function withApp(work: (app: RobustoApp, env: Environment) => Promise<void>): Promise<void> {
  const env = await loadEnvironment({ quiet: true });
  const db = createDb(env.config, env.log);
  try {
    const app = await buildApp({ config: env.config, log: env.log, db });
    if (!(await app.migrate()) || app.registry.failed().some((m) => m.name === 'auth')) {
      process.stderr.write(`${t(commandLocale(), 'cli.notReady')}\n`);
      process.exitCode = 1;
      return;
    }
    try {
      await work(app, env);
    } finally {
      await app.http.close();
    }
  } finally {
    await db.close();
  }
}
