import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/database.js';
import { migrationStatus } from '../../db/migrate.js';
import { coreMigrations } from '../../db/migrations/core.migrations.js';
import { BUILTIN_ORIGIN } from '../../modules/module.js';
import type { ModuleRegistry } from '../../modules/module-registry.js';
import { redactUrlPassword } from '../../shared/secrets.js';
import { withTimeout } from '../../shared/with-timeout.js';
import type { DoctorCheck } from './doctor-check.js';

/** How long `doctor` waits for the database before calling it unreachable. */
export const DOCTOR_DATABASE_TIMEOUT_MS = 5_000;

/** The nearest folder of `dir` (itself or a parent) that exists. */
function nearestExisting(dir: string): string {
  let at = dir;
  while (!existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}

/**
 * Checks, writing nothing, that robusto could use `DATA_DIR`: it and the folders in it that exist
 * are writable, and one that does not exist yet could be created (its nearest existing parent is
 * writable). For `robusto doctor`, which must leave no `data/` behind in a folder it was run from
 * by mistake.
 */
export function inspectDataDir(config: Readonly<Config>): DoctorCheck {
  const { dataDir, logsDir, backupsDir, reportsDir } = config.paths;
  const dirs = [dataDir, logsDir, backupsDir, reportsDir];
  for (const dir of dirs) {
    const existing = nearestExisting(dir);
    try {
      accessSync(existing, constants.W_OK);
    } catch (error) {
      return {
        name: 'data directory',
        ok: false,
        detail: `${existing} is not writable: ${error instanceof Error ? error.message : String(error)}`,
        fix: `give the user running robusto write access to ${existing}, or set DATA_DIR to a writable directory`,
      };
    }
  }
  const missing = dirs.filter((dir) => !existsSync(dir));
  return {
    name: 'data directory',
    ok: true,
    detail:
      missing.length === 0
        ? `${dataDir} is writable (logs/, backups/, reports/ present)`
        : `${dataDir} is usable; robusto start creates ${missing.map((dir) => path.relative(path.dirname(dataDir), dir)).join(', ')}`,
  };
}

/** Checks `DATA_DIR` and its `logs/`, `backups/`, `reports/` exist (creating them) and are writable: the server's start-up check. */
export function checkDataDir(config: Readonly<Config>): DoctorCheck {
  const { dataDir, logsDir, backupsDir, reportsDir } = config.paths;
  try {
    for (const dir of [dataDir, logsDir, backupsDir, reportsDir]) mkdirSync(dir, { recursive: true });
    const probe = path.join(dataDir, `.doctor-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return { name: 'data directory', ok: true, detail: `${dataDir} is writable (logs/, backups/, reports/ present)` };
  } catch (error) {
    return {
      name: 'data directory',
      ok: false,
      detail: `${dataDir} is not writable: ${error instanceof Error ? error.message : String(error)}`,
      fix: `give the user running robusto write access to ${dataDir}, or set DATA_DIR to a writable directory`,
    };
  }
}

/**
 * What a connection pooler says when it refuses a parameter robusto's connections send at
 * start-up (PgBouncer: "unsupported startup parameter: statement_timeout").
 */
const POOLER_REFUSED_PARAMETER = /unsupported startup parameter: (\S+)/;

/** The fix for a database that did not answer, from what it said. */
function databaseFix(db: Database, config: Readonly<Config>, message: string): string {
  if (db.engine !== 'postgres') return `check that ${config.paths.sqliteFile} is a robusto database and its directory is writable`;
  const refused = POOLER_REFUSED_PARAMETER.exec(message);
  if (refused)
    return `DATABASE_URL (now ${redactUrlPassword(config.databaseUrl)}) leads to a connection pooler that refuses the startup parameter ${refused[1]}: add it to ignore_startup_parameters in pgbouncer.ini (docs/production.md, "PgBouncer")`;
  return `start PostgreSQL or correct DATABASE_URL (now ${redactUrlPassword(config.databaseUrl)}); robusto serve still starts and connects when it answers`;
}

/** Checks the database answers a real query, and how fast. */
export async function checkDatabase(db: Database, config: Readonly<Config>): Promise<DoctorCheck> {
  try {
    const ms = await withTimeout(db.ping(), DOCTOR_DATABASE_TIMEOUT_MS, 'the database');
    return { name: 'database', ok: true, detail: `${db.engine} reachable, round trip ${ms.toFixed(1)} ms` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name: 'database', ok: false, detail: `${db.engine} unreachable: ${message}`, fix: databaseFix(db, config, message) };
  }
}

/** One check per module: imported, or why not. */
export function checkModules(registry: ModuleRegistry): DoctorCheck[] {
  return registry.modules.map((m) =>
    m.status === 'failed'
      ? {
          name: `module ${m.name}`,
          ok: false,
          detail: `fails at ${m.stage}: ${m.error}`,
          fix: `fix or remove ${m.origin === BUILTIN_ORIGIN ? `src/modules/${m.name}` : m.origin} (ROBUSTO_MODULES)`,
        }
      : { name: `module ${m.name}`, ok: true, detail: `loads (${m.origin})` },
  );
}

/** Reports applied and pending migrations of every module; pending is fine (start applies them), unreadable is not. */
export async function checkMigrations(db: Database, registry: ModuleRegistry): Promise<DoctorCheck> {
  try {
    const pending: string[] = [];
    let applied = 0;
    const owners = [
      { name: 'core', migrations: coreMigrations },
      ...registry.modules.map((m) => ({ name: m.name, migrations: m.definition?.migrations ?? {} })),
    ];
    for (const m of owners) {
      for (const state of await migrationStatus(db, m.name, m.migrations)) {
        if (state.appliedAt) applied++;
        else pending.push(`${m.name}/${state.name}`);
      }
    }
    return pending.length === 0
      ? { name: 'migrations', ok: true, detail: `${applied} applied, none pending` }
      : {
          name: 'migrations',
          ok: true,
          detail: `${applied} applied, ${pending.length} pending (robusto serve applies them at start; or run "robusto migrate"): ${pending.join(', ')}`,
        };
  } catch (error) {
    return {
      name: 'migrations',
      ok: false,
      detail: `cannot read migration state: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'make the database reachable first',
    };
  }
}
