import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ModuleSource } from './module.js';

/**
 * Describes a user's module file from `ROBUSTO_MODULES`: its expected name is the file name
 * without extension (`/opt/x/invoices.js` → `invoices`), so even if it fails to import, its
 * default prefix `/api/invoices` can answer 503.
 */
export function fileModuleSource(file: string): ModuleSource {
  const name = path
    .basename(file)
    .replace(/\.(c|m)?js$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  return { name, origin: file, load: () => import(pathToFileURL(file).href) };
}
