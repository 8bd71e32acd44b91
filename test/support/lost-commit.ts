import type { Database } from '../../src/db/database.js';

/**
 * Makes the next transaction on `db` lose the answer to its COMMIT, as a connection reset at that
 * moment would: `committed` really commits first, `rolled-back` does not. Either way the caller
 * sees "Connection terminated unexpectedly" once its transaction callback has finished.
 */
export function loseTheCommitAnswer(db: Database, what: 'committed' | 'rolled-back' = 'committed'): void {
  const patched = db as { transaction: Database['transaction'] };
  const real = db.transaction;
  const lost = () => new Error('Connection terminated unexpectedly');
  patched.transaction = async (work) => {
    patched.transaction = real;
    if (what === 'rolled-back') {
      return real(async (tx) => {
        await work(tx);
        throw lost();
      });
    }
    await real(work);
    throw lost();
  };
}
