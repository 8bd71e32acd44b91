import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What robusto knows about its own package: name, version, dependencies and where it lives. */
export interface PackageInfo {
  name: string;
  version: string;
  dependencies: string[];
  /** The `engines.node` range, e.g. `>=20.19`. */
  nodeRange: string;
  root: string;
}

let cached: PackageInfo | undefined;

/**
 * Reads robusto's own `package.json`, found by walking up from this file (the depth differs
 * between the compiled `dist/` and the sources run by tests). Builtins only, so `doctor` can use
 * it when packages are missing.
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
        dependencies?: Record<string, string>;
        engines?: { node?: string };
      };
      if (json.name === 'robusto') {
        cached = {
          name: json.name,
          version: json.version ?? '0.0.0',
          dependencies: Object.keys(json.dependencies ?? {}),
          nodeRange: json.engines?.node ?? '>=0',
          root: dir,
        };
        return cached;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('robusto package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
