// NB: this file imports node builtins only. It is what reports missing packages, so it must
// load when any of them is missing.
import { packageInfo } from '../../config/package-info.js';
import type { DoctorCheck } from './doctor-check.js';

function versionAtLeast(actual: string, minimum: string): boolean {
  const a = actual.split('.').map(Number);
  const m = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (m[i] ?? 0)) return (a[i] ?? 0) > (m[i] ?? 0);
  }
  return true;
}

/** Checks that this Node.js satisfies `engines.node` of robusto's package.json. */
export function checkNodeVersion(): DoctorCheck {
  const range = packageInfo().nodeRange;
  const minimum = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range)?.[1] ?? '0';
  const ok = versionAtLeast(process.versions.node, minimum);
  return {
    name: 'node',
    ok,
    detail: ok ? `Node.js ${process.versions.node} (needs ${range})` : `Node.js ${process.versions.node} is too old; robusto needs ${range}`,
    fix: `install Node.js ${minimum} or newer (https://nodejs.org), then run npm install again`,
  };
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
  const fix = `run "npm install" in ${root}`;
  const checks: DoctorCheck[] = [];
  for (const name of dependencies) {
    try {
      const imported = (await import(name)) as { default?: unknown };
      if (name === 'better-sqlite3') {
        const SqliteDatabase = imported.default as new (file: string) => { close(): void };
        new SqliteDatabase(':memory:').close();
      }
      checks.push({ name: `package ${name}`, ok: true, detail: 'installed' });
    } catch (error) {
      const missing = missingPackageOf(error);
      checks.push({
        name: `package ${name}`,
        ok: false,
        detail: missing ? `not installed (cannot find "${missing}")` : `fails to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        fix: name === 'better-sqlite3' && !missing ? `${fix}; it compiles a native module, which needs python3, make and g++` : fix,
      });
    }
  }
  return checks;
}
