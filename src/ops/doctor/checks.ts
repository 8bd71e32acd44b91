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
import { text, type LocalText } from '../../shared/i18n/translate.js';
import { doctorCheck, type DoctorCheck } from './doctor-check.js';

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
      return doctorCheck(
        text('doctor.name.dataDir'),
        false,
        text('doctor.dataDir.notWritable', { dir: existing, error: error instanceof Error ? error.message : String(error) }),
        text('doctor.dataDir.fix', { dir: existing }),
      );
    }
  }
  const missing = dirs.filter((dir) => !existsSync(dir));
  return doctorCheck(
    text('doctor.name.dataDir'),
    true,
    missing.length === 0
      ? text('doctor.dataDir.writable', { dir: dataDir })
      : text('doctor.dataDir.usable', { dir: dataDir, missing: missing.map((dir) => path.relative(path.dirname(dataDir), dir)).join(', ') }),
  );
}

/** Checks `DATA_DIR` and its `logs/`, `backups/`, `reports/` exist (creating them) and are writable: the server's start-up check. */
export function checkDataDir(config: Readonly<Config>): DoctorCheck {
  const { dataDir, logsDir, backupsDir, reportsDir } = config.paths;
  try {
    for (const dir of [dataDir, logsDir, backupsDir, reportsDir]) mkdirSync(dir, { recursive: true });
    const probe = path.join(dataDir, `.doctor-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
    return doctorCheck(text('doctor.name.dataDir'), true, text('doctor.dataDir.writable', { dir: dataDir }));
  } catch (error) {
    return doctorCheck(
      text('doctor.name.dataDir'),
      false,
      text('doctor.dataDir.notWritable', { dir: dataDir, error: error instanceof Error ? error.message : String(error) }),
      text('doctor.dataDir.fix', { dir: dataDir }),
    );
  }
}

/**
 * What a connection pooler says when it refuses a parameter robusto's connections send at
 * start-up (PgBouncer: "unsupported startup parameter: statement_timeout").
 */
const POOLER_REFUSED_PARAMETER = /unsupported startup parameter: (\S+)/;

/** The fix for a database that did not answer, from what it said. */
function databaseFix(db: Database, config: Readonly<Config>, message: string): LocalText {
  if (db.engine !== 'postgres') return text('doctor.database.fixSqlite', { file: config.paths.sqliteFile });
  const refused = POOLER_REFUSED_PARAMETER.exec(message);
  if (refused) return text('doctor.database.fixPooler', { url: redactUrlPassword(config.databaseUrl), parameter: refused[1] as string });
  return text('doctor.database.fixPostgres', { url: redactUrlPassword(config.databaseUrl) });
}

/** Checks the database answers a real query, and how fast. */
export async function checkDatabase(db: Database, config: Readonly<Config>): Promise<DoctorCheck> {
  try {
    const ms = await withTimeout(db.ping(), DOCTOR_DATABASE_TIMEOUT_MS, 'the database');
    return doctorCheck(text('doctor.name.database'), true, text('doctor.database.reachable', { engine: db.engine, ms: Number(ms.toFixed(1)) }));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return doctorCheck(
      text('doctor.name.database'),
      false,
      text('doctor.database.unreachable', { engine: db.engine, error: message }),
      databaseFix(db, config, message),
    );
  }
}

/** One check per module: imported, or why not. */
export function checkModules(registry: ModuleRegistry): DoctorCheck[] {
  return registry.modules.map((m) =>
    m.status === 'failed'
      ? doctorCheck(
          text('doctor.name.module', { name: m.name }),
          false,
          text('doctor.module.fails', { stage: String(m.stage), error: String(m.error) }),
          text('doctor.module.fix', { where: m.origin === BUILTIN_ORIGIN ? `src/modules/${m.name}` : m.origin }),
        )
      : doctorCheck(text('doctor.name.module', { name: m.name }), true, text('doctor.module.loads', { origin: m.origin })),
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
      ? doctorCheck(text('doctor.name.migrations'), true, text('doctor.migrations.none', { applied }))
      : doctorCheck(text('doctor.name.migrations'), true, text('doctor.migrations.pending', { applied, count: pending.length, names: pending.join(', ') }));
  } catch (error) {
    return doctorCheck(
      text('doctor.name.migrations'),
      false,
      text('doctor.migrations.unreadable', { error: error instanceof Error ? error.message : String(error) }),
      text('doctor.migrations.fix'),
    );
  }
}
