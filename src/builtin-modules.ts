import { BUILTIN_ORIGIN, type ModuleSource } from './modules/module.js';
import { fileModuleSource } from './modules/module-source.js';

/**
 * The modules shipped with robusto, each imported lazily so that one that fails to import is
 * isolated instead of breaking the process at start.
 */
export const BUILTIN_MODULES: ModuleSource[] = [
  { name: 'auth', origin: BUILTIN_ORIGIN, load: () => import('./modules/auth/index.js') },
  { name: 'customers', origin: BUILTIN_ORIGIN, load: () => import('./modules/customers/index.js') },
  { name: 'products', origin: BUILTIN_ORIGIN, load: () => import('./modules/products/index.js') },
  { name: 'stock', origin: BUILTIN_ORIGIN, load: () => import('./modules/stock/index.js') },
  { name: 'students', origin: BUILTIN_ORIGIN, load: () => import('./modules/students/index.js') },
  { name: 'audit', origin: BUILTIN_ORIGIN, load: () => import('./modules/audit/index.js') },
  { name: 'receipts', origin: BUILTIN_ORIGIN, load: () => import('./admin/receipts/index.js'), console: true },
  { name: 'system', origin: BUILTIN_ORIGIN, load: () => import('./admin/system/index.js'), console: true },
];

/** The modules a process loads: the built-in ones, then the files `ROBUSTO_MODULES` names (`extraModules`). */
export function moduleSources(extraModules: readonly string[] = []): ModuleSource[] {
  return [...BUILTIN_MODULES, ...extraModules.map(fileModuleSource)];
}
