// NB: this file imports node builtins only. It is what reports missing packages, so it must
// load when any of them is missing.
import { packageInfo } from '../../config/package-info.js';
import { text } from '../../shared/i18n/translate.js';
import { doctorCheck, type DoctorCheck } from './doctor-check.js';

function versionAtLeast(actual: string, minimum: string): boolean {
  const a = actual.split('.').map(Number);
  const m = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (m[i] ?? 0)) return (a[i] ?? 0) > (m[i] ?? 0);
  }
  return true;
}

/** The Node.js line robusto is released and benchmarked on; any version `engines.node` allows runs it. */
export const RECOMMENDED_NODE = '24 LTS';

/**
 * Checks that this Node.js satisfies `engines.node` of robusto's package.json. An older one is
 * refused before anything else loads: the SQLite driver robusto depends on crashes the process
 * (a native abort, no JavaScript error) on a Node.js older than it supports.
 */
export function checkNodeVersion(version: string = process.versions.node): DoctorCheck {
  const { nodeRange, root } = packageInfo();
  const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(nodeRange)?.[1] ?? '0';
  const ok = versionAtLeast(version, minimum);
  return doctorCheck(
    text('doctor.name.node'),
    ok,
    ok ? text('doctor.node.ok', { version, range: nodeRange }) : text('doctor.node.old', { version, minimum, recommended: RECOMMENDED_NODE }),
    text('doctor.node.fix', { recommended: RECOMMENDED_NODE, root }),
  );
}

/** The package a failed import names, from Node's ERR_MODULE_NOT_FOUND message. */
export function missingPackageOf(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
}

/**
 * Imports every package robusto depends on, one check each, so a missing or broken install is
 * named instead of crashing the start. better-sqlite3 is also opened, since its native part can
 * be missing while its JavaScript imports fine.
 */
export async function checkPackages(): Promise<DoctorCheck[]> {
  const { dependencies, root } = packageInfo();
  const checks: DoctorCheck[] = [];
  for (const name of dependencies) {
    try {
      const imported = (await import(name)) as { default?: unknown };
      if (name === 'better-sqlite3') {
        const SqliteDatabase = imported.default as new (file: string) => { close(): void };
        new SqliteDatabase(':memory:').close();
      }
      checks.push(doctorCheck(text('doctor.name.package', { name }), true, text('doctor.package.installed')));
    } catch (error) {
      const missing = missingPackageOf(error);
      checks.push(
        doctorCheck(
          text('doctor.name.package', { name }),
          false,
          missing
            ? text('doctor.package.missing', { missing })
            : text('doctor.package.broken', { error: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error) }),
          name === 'better-sqlite3' && !missing ? text('doctor.package.fixNative', { root }) : text('doctor.package.fix', { root }),
        ),
      );
    }
  }
  return checks;
}
