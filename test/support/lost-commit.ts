import { sql } from 'kysely';
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

/** A transaction held open on the server by {@link holdTheCommit}. */
export interface HeldCommit {
  /** Lets the held transaction run its COMMIT; resolves once it has committed. */
  commit(): Promise<void>;
}

/**
 * Makes the next transaction on `db` lose the answer to its COMMIT while that COMMIT is still
 * under way: the caller sees "Connection terminated unexpectedly" as soon as its transaction
 * callback has finished, but the transaction stays open on the server, holding its rows and
 * locks, and commits only when {@link HeldCommit.commit} is called (a server stalled mid-COMMIT
 * that resumes later). PostgreSQL only: on SQLite the held transaction would block every other.
 */
export function holdTheCommit(db: Database): HeldCommit {
  const patched = db as { transaction: Database['transaction'] };
  const real = db.transaction;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let committed: Promise<unknown> = Promise.resolve();
  patched.transaction = (work) => {
    patched.transaction = real;
    return new Promise((_, reject) => {
      committed = real(async (tx) => {
        const result = await work(tx);
        // The statements held back for the COMMIT's message reach the server, as they do when
        // that message is sent: the rows and their locks are there, the COMMIT is not yet.
        await sql`select 1`.execute(tx);
        reject(new Error('Connection terminated unexpectedly'));
        await gate;
        return result;
      });
      committed.catch(reject);
    });
  };
  return {
    async commit() {
      release();
      await committed;
    },
  };
}
