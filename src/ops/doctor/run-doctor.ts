// NB: builtins and check-packages only at the top: the rest loads after the packages check, so
// doctor can report missing packages instead of failing to start.
import { checkNodeVersion, checkPackages } from './check-packages.js';
import { existsSync } from 'node:fs';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../log/create-logger.js';
import type { ModuleRegistry } from '../../modules/module-registry.js';
import { DEFAULT_LOCALE, type Locale } from '../../shared/i18n/locale.js';
import { t, text } from '../../shared/i18n/translate.js';
import { doctorCheck, plainCheck, renderChecks, type DoctorCheck } from './doctor-check.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  json: boolean;
  /** The language of the ✓/✗ lines (`--json` is always English). */
  locale?: Locale;
}

async function checksNeedingPackages(): Promise<DoctorCheck[]> {
  const [
    { ConfigError, loadConfig },
    { moduleSources },
    { ModuleRegistry },
    { checkModules },
    { pino },
    { checkFileModes },
    { findRunningServer, ServerSettingsError },
  ] = await Promise.all([
    import('../../config/load-config.js'),
    import('../../builtin-modules.js'),
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
    return error.texts.map((p) => doctorCheck(text('doctor.name.config'), false, p, text('doctor.config.fix')));
  }
  // A running server's own settings are the ones to check, not this shell's.
  let config = own;
  const checks: DoctorCheck[] = [];
  try {
    const server = findRunningServer(own);
    if (server) {
      config = server.config;
      checks.push(doctorCheck(text('doctor.name.runningServer'), true, text('doctor.server.found', { pid: String(server.pid) })));
      for (const difference of server.differences) checks.push(doctorCheck(text('doctor.name.runningServer'), true, difference));
    }
  } catch (error) {
    if (!(error instanceof ServerSettingsError)) throw error;
    checks.push(doctorCheck(text('doctor.name.runningServer'), false, error.text, text('doctor.server.fix')));
  }
  const silent = pino({ level: 'silent' });
  checks.push(
    doctorCheck(text('doctor.name.config'), true, text('doctor.config.valid', { engine: config.engine, port: String(config.port), dir: config.paths.dataDir })),
  );
  if (existsSync(config.paths.dataDir)) checks.push(checkFileModes(config.paths.dataDir));
  const registry = await ModuleRegistry.import(moduleSources(config.extraModules), silent);
  return [...checks, ...(await databaseChecks(config, registry, silent)), ...checkModules(registry)];
}

/** The data directory, the database and its migrations, opening nothing that does not exist yet. */
async function databaseChecks(config: Readonly<Config>, registry: ModuleRegistry, silent: Logger): Promise<DoctorCheck[]> {
  const [{ createDb }, { checkDatabase, checkMigrations, inspectDataDir }] = await Promise.all([import('../../db/create-db.js'), import('./checks.js')]);
  const checks = [inspectDataDir(config)];
  if (config.engine === 'sqlite' && !existsSync(config.paths.sqliteFile)) {
    checks.push(doctorCheck(text('doctor.name.database'), true, text('doctor.database.none', { file: config.paths.sqliteFile })));
    checks.push(doctorCheck(text('doctor.name.migrations'), true, text('doctor.migrations.noDatabase')));
    return checks;
  }
  let db;
  try {
    db = createDb(config, silent);
  } catch (error) {
    checks.push(
      doctorCheck(
        text('doctor.name.database'),
        false,
        text('doctor.database.cannotOpen', { error: error instanceof Error ? error.message : String(error) }),
        text('doctor.database.fixOpen'),
      ),
    );
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
  else if (!node.ok) checks.push(doctorCheck(text('doctor.name.remaining'), false, text('doctor.remaining.node'), text('doctor.remaining.nodeFix')));
  else checks.push(doctorCheck(text('doctor.name.remaining'), false, text('doctor.remaining.packages'), text('doctor.remaining.packagesFix')));
  const ok = checks.every((c) => c.ok);
  process.stdout.write(
    options.json
      ? `${JSON.stringify({ ok, checks: checks.map(plainCheck) }, null, 2)}\n`
      : `${renderChecks(checks, options.locale)}\n${t(options.locale ?? DEFAULT_LOCALE, ok ? 'doctor.allPassed' : 'doctor.someFailed')}\n`,
  );
  return ok ? 0 : 1;
}
