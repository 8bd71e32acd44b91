import { BUILTIN_ORIGIN, type ModuleSource } from './module.js';

/**
 * The modules shipped with robusto, each imported lazily so that one that fails to import is
 * isolated instead of breaking the process at start.
 */
export const BUILTIN_MODULES: ModuleSource[] = [
  { name: 'auth', origin: BUILTIN_ORIGIN, load: () => import('./auth/index.js') },
  { name: 'customers', origin: BUILTIN_ORIGIN, load: () => import('./customers/index.js') },
  { name: 'products', origin: BUILTIN_ORIGIN, load: () => import('./products/index.js') },
  { name: 'stock', origin: BUILTIN_ORIGIN, load: () => import('./stock/index.js') },
  { name: 'students', origin: BUILTIN_ORIGIN, load: () => import('./students/index.js') },
  { name: 'audit', origin: BUILTIN_ORIGIN, load: () => import('./audit/index.js') },
  { name: 'receipts', origin: BUILTIN_ORIGIN, load: () => import('./receipts/index.js') },
  { name: 'system', origin: BUILTIN_ORIGIN, load: () => import('./system/index.js') },
];
