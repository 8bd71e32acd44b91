// NB: builtins and check-packages only at the top: the rest loads after the packages check, so
// doctor can report missing packages instead of failing to start.
import { checkNodeVersion, checkPackages } from './check-packages.js';
import { existsSync } from 'node:fs';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../log/create-logger.js';
import type { ModuleRegistry } from '../../modules/module-registry.js';
import { renderChecks, type DoctorCheck } from './doctor-check.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  json: boolean;
}

async function checksNeedingPackages(): Promise<DoctorCheck[]> {
  const [
    { ConfigError, loadConfig },
    { defaultModuleSources },
    { ModuleRegistry },
    { checkModules },
    { pino },
    { checkFileModes },
    { findRunningServer, ServerSettingsError },
  ] = await Promise.all([
    import('../../config/load-config.js'),
    import('../../app.js'),
    import('../../modules/module-registry.js'),
    import('./checks.js'),
    import('pino'),
    import('../private-files.js'),
    import('../running-server.js'),
  ]);
  let own;
  try {
    ({ config: own } = loadConfig(process.env, { readOnly: true }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => ({ name: 'config', ok: false, detail: p, fix: 'set the variable in the environment or in .env' }));
  }
  // A running server's own settings are the ones to check, not this shell's.
  let config = own;
  const checks: DoctorCheck[] = [];
  try {
    const server = findRunningServer(own);
    if (server) {
      config = server.config;
      checks.push({ name: 'running server', ok: true, detail: `supervisor pid ${server.pid}; its settings are the ones checked below` });
      for (const difference of server.differences) checks.push({ name: 'running server', ok: true, detail: difference });
    }
  } catch (error) {
    if (!(error instanceof ServerSettingsError)) throw error;
    checks.push({ name: 'running server', ok: false, detail: error.message, fix: 'correct its .env or environment; it keeps running until restarted' });
  }
  const silent = pino({ level: 'silent' });
  checks.push({ name: 'config', ok: true, detail: `valid (engine ${config.engine}, port ${config.port}, data in ${config.paths.dataDir})` });
  if (existsSync(config.paths.dataDir)) checks.push(checkFileModes(config.paths.dataDir));
  const registry = await ModuleRegistry.import(defaultModuleSources(config), silent);
  return [...checks, ...(await databaseChecks(config, registry, silent)), ...checkModules(registry)];
}

/** The data directory, the database and its migrations, opening nothing that does not exist yet. */
async function databaseChecks(config: Readonly<Config>, registry: ModuleRegistry, silent: Logger): Promise<DoctorCheck[]> {
  const [{ createDb }, { checkDatabase, checkMigrations, inspectDataDir }] = await Promise.all([import('../../db/create-db.js'), import('./checks.js')]);
  const checks = [inspectDataDir(config)];
  if (config.engine === 'sqlite' && !existsSync(config.paths.sqliteFile)) {
    checks.push({ name: 'database', ok: true, detail: `no database yet at ${config.paths.sqliteFile}: robusto start creates it` });
    return checks;
  }
  let db;
  try {
    db = createDb(config, silent);
  } catch (error) {
    checks.push({
      name: 'database',
      ok: false,
      detail: `cannot open: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'check DATA_DIR and DATABASE_URL',
    });
    return checks;
  }
  try {
    const database = await checkDatabase(db, config);
    checks.push(database);
    if (database.ok) checks.push(await checkMigrations(db, registry));
  } finally {
    await db.close().catch(() => undefined);
  }
  return checks;
}

/**
 * Runs every pre-flight check and prints one ✓/✗ line each (or JSON); returns the exit code,
 * 1 when any check failed. Checks that need packages are skipped when Node.js is unsupported or
 * packages are missing, with a line saying so.
 */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const node = checkNodeVersion();
  // NB: on an unsupported Node.js, loading the SQLite driver's native part can abort the process.
  const checks: DoctorCheck[] = node.ok ? [node, ...(await checkPackages())] : [node];
  if (checks.every((c) => c.ok)) checks.push(...(await checksNeedingPackages()));
  else if (!node.ok)
    checks.push({
      name: 'remaining checks',
      ok: false,
      detail: 'skipped until robusto runs on a supported Node.js',
      fix: 'install a supported Node.js (see above), then run robusto doctor again',
    });
  else
    checks.push({
      name: 'remaining checks',
      ok: false,
      detail: 'skipped until the packages above are installed',
      fix: 'install the packages, then run robusto doctor again',
    });
  const ok = checks.every((c) => c.ok);
  process.stdout.write(
    options.json ? `${JSON.stringify({ ok, checks }, null, 2)}\n` : `${renderChecks(checks)}\n${ok ? '✓ all checks passed' : '✗ some checks failed'}\n`,
  );
  return ok ? 0 : 1;
}
