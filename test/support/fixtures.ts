import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileModuleSource } from '../../src/modules/module-source.js';
import type { ModuleSource } from '../../src/modules/module.js';

/** Directory of the test module files (plain ESM, as a user would write for ROBUSTO_MODULES). */
export const FIXTURE_MODULES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'modules');

/** The path of a fixture module file, e.g. `fixtureModule('faulty')`. */
export function fixtureModule(name: string): string {
  return path.join(FIXTURE_MODULES_DIR, `${name}.js`);
}

/** A module source for a fixture file, loaded exactly like a `ROBUSTO_MODULES` entry. */
export function fixtureSource(name: string): ModuleSource {
  return fileModuleSource(fixtureModule(name));
}
