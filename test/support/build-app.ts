import { markReady } from '../../src/http/app-state.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { buildApp, type RobustoApp } from '../../src/app.js';
import { moduleSources } from '../../src/builtin-modules.js';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import { createLogger, type Logger } from '../../src/log/create-logger.js';
import type { ModuleSource } from '../../src/modules/module.js';
import { createTestDatabase, type TestEngine } from './test-database.js';

/** A robusto app built for one test, on its own data directory and database. */
export interface TestApp {
  app: RobustoApp;
  config: Readonly<Config>;
  log: Logger;
  /** Every log line written so far, parsed. */
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Options of {@link buildTestApp}. */
export interface BuildTestAppOptions {
  engine: TestEngine;
  /** Modules to load; defaults to what `robusto serve` loads: the built-in ones, then the files `ROBUSTO_MODULES` (in `env`) names. */
  modules?: ModuleSource[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Database URL to use instead of a fresh test database (e.g. through a fault proxy). */
  databaseUrl?: string;
  /** A data directory to use (and keep on close) instead of a new temp one: a restart of the same installation. */
  dataDir?: string;
  /** Skip applying migrations (tests of start-up without a database). */
  skipMigrate?: boolean;
  /** Sees every SQL statement the app runs. */
  onQuery?: (sql: string, parameters: readonly unknown[]) => void;
}

/**
 * Builds the app the way `robusto serve` does, but in-process for `app.http.inject`: a temp
 * `DATA_DIR`, a fresh PostgreSQL database for the postgres engine, logs captured in memory.
 */
export async function buildTestApp(options: BuildTestAppOptions): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'robusto-test-'));
  const pgDatabase = options.engine === 'postgres' && !options.databaseUrl ? await createTestDatabase() : undefined;
  const databaseUrl = options.databaseUrl ?? pgDatabase?.url;
  const { config } = loadConfig(
    // Rate limits and load shedding off unless a test turns them on: most tests write far more
    // than 100 times a minute, and a busy CI machine must not make them flaky.
    {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      RATE_LIMITS: 'off',
      SHED_LOAD_AT_DELAY_MS: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...options.env,
    },
    { cwd: dataDir, ignoreDotEnv: true },
  );
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line.trim()) continue;
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ unparsable: line });
        }
      }
      done();
    },
  });
  const log = await createLogger(config, { destination });
  const db = createDb(config, log, options.onQuery ? { onQuery: options.onQuery } : {});
  const app = await buildApp({ config, log, db, modules: options.modules ?? moduleSources(config.extraModules) });
  if (!options.skipMigrate) await app.migrate();
  await app.http.ready();
  markReady(app.state);
  return {
    app,
    config,
    log,
    logs,
    async close() {
      await app.jobs.stop();
      await app.replayer.stop();
      await app.http.close();
      app.journal.close();
      await db.close();
      await pgDatabase?.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
