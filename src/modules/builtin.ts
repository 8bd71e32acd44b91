import type { ModuleSource } from './module.js';

/**
 * The modules shipped with robusto, each imported lazily so that one that fails to import is
 * isolated instead of breaking the process at start.
 */
export const BUILTIN_MODULES: ModuleSource[] = [
  { name: 'auth', origin: 'builtin', load: () => import('./auth/index.js') },
  { name: 'customers', origin: 'builtin', load: () => import('./customers/index.js') },
  { name: 'products', origin: 'builtin', load: () => import('./products/index.js') },
  { name: 'stock', origin: 'builtin', load: () => import('./stock/index.js') },
  { name: 'students', origin: 'builtin', load: () => import('./students/index.js') },
  { name: 'audit', origin: 'builtin', load: () => import('./audit/index.js') },
  { name: 'receipts', origin: 'builtin', load: () => import('./receipts/index.js') },
  { name: 'system', origin: 'builtin', load: () => import('./system/index.js') },
];
