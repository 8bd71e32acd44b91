import type { Database } from '../../src/db/database.js';

/**
 * Makes the next transaction on `db` lose the answer to its COMMIT, as a connection reset at that
 * moment would: `committed` really commits first, `rolled-back` does not. Either way the caller
 * sees "Connection terminated unexpectedly" once its transaction callback has finished.
 */
export function loseTheCommitAnswer(db: Database, what: 'committed' | 'rolled-back' = 'committed'): void {
  const kysely = db.kysely as { transaction: unknown };
  const real = db.kysely.transaction.bind(db.kysely);
  const lost = () => new Error('Connection terminated unexpectedly');
  kysely.transaction = () => {
    kysely.transaction = real;
    const builder = real();
    return {
      execute: async (callback: Parameters<typeof builder.execute>[0]) => {
        if (what === 'rolled-back') {
          return builder.execute(async (tx) => {
            await callback(tx);
            throw lost();
          });
        }
        await builder.execute(callback);
        throw lost();
      },
    };
  };
}
