import type { Driver } from 'kysely';

/**
 * Stands in for the driver in a transaction's handle built on one connection (PostgreSQL's
 * direct transactions, SQLite's group commit), where nothing may take another connection.
 */
export const NO_DRIVER: Driver = {
  init: () => Promise.reject(new Error('no driver inside a transaction')),
  acquireConnection: () => Promise.reject(new Error('a transaction cannot open another connection')),
  beginTransaction: () => Promise.reject(new Error('a transaction cannot begin another one')),
  commitTransaction: () => Promise.reject(new Error('commit by returning from the transaction callback')),
  rollbackTransaction: () => Promise.reject(new Error('roll back by throwing from the transaction callback')),
  releaseConnection: () => Promise.resolve(),
  destroy: () => Promise.reject(new Error('a transaction cannot destroy the pool')),
};
