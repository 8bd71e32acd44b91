import { CompiledQuery, Transaction, type Dialect, type Kysely, type KyselyConfig } from 'kysely';
import type { TransactionRunner } from '../database.js';
import { NO_DRIVER } from './no-driver.js';

/** The most write transactions one SQLite COMMIT (one fsync) carries. */
export const SQLITE_GROUP_MAX = 256;

const SAVEPOINT = 'robusto_write';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
type AnyKysely = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the database is shared by every owner of tables; each types its own
type AnyTransaction = Transaction<any>;

/** A write transaction waiting for its turn in a group, and how to answer it. */
interface Member {
  readonly work: (tx: AnyTransaction) => Promise<unknown>;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** A member whose work is done and released, waiting for the group's COMMIT. */
interface Done {
  readonly member: Member;
  readonly result: unknown;
}

/** A member's transaction handle, and how to end it. */
interface Handle {
  readonly tx: AnyTransaction;
  end(): void;
}

const ENDED = 'this transaction has already ended (committed or rolled back); run the query inside the transaction callback';

const run = (db: AnyKysely, text: string) => db.executeQuery(CompiledQuery.raw(text));

/**
 * Builds {@link Database.transaction} for SQLite: write transactions that arrive together share
 * one transaction and one COMMIT, the fsync that `synchronous=FULL` makes every commit wait for.
 * That fsync, not the statements, is what a write costs on SQLite; a server taking concurrent
 * writes pays it once per group, not once per write.
 *
 * Each write still commits or rolls back on its own terms: it runs alone inside its own
 * SAVEPOINT (the writes of a group one after another, never interleaved), one that throws is
 * rolled back to it and answered with its error at once, without touching the others. A write
 * that succeeded is answered only after the group's COMMIT returned, so nothing is acknowledged
 * before it is durable. A COMMIT that fails fails every write of its group (none of them was
 * saved), as a group the database cannot go on with (a failed rollback to a savepoint) fails the
 * writes it holds. Writes join a group while it runs, and once more after one turn of the event
 * loop when there is none left, up to {@link SQLITE_GROUP_MAX}; a write alone is its own group.
 *
 * The group holds the one connection from `BEGIN IMMEDIATE` (the write lock, taken at once:
 * a group never finds its snapshot stale at its first write) to its COMMIT, so reads wait for a
 * group to end, as they waited for a transaction. A lock another process holds fails the whole
 * group with SQLITE_BUSY, a transient error its writes are retried on.
 */
export function sqliteGroupCommit(kysely: AnyKysely, props: { dialect: Dialect; config: KyselyConfig }): TransactionRunner {
  const queue: Member[] = [];
  let running = false;
  // A handle per member, refused once its member is over: one kept past its callback can never
  // run in a later member's savepoint.
  const handleOn = (db: AnyKysely): Handle => {
    let open = true;
    const executor = db.getExecutor();
    const guarded = executor.withConnectionProvider({
      provideConnection: (use) => (open ? executor.provideConnection(use) : Promise.reject(new Error(ENDED))),
    });
    const tx = new Transaction({ config: props.config, dialect: props.dialect, driver: NO_DRIVER, executor: guarded });
    return { tx, end: () => (open = false) };
  };

  const groups = async (): Promise<void> => {
    try {
      while (queue.length > 0) await kysely.connection().execute((db) => runGroup(db, () => handleOn(db), queue));
    } catch (error) {
      // No connection to be had (the database closed): the writes waiting get its error.
      for (const member of queue.splice(0)) member.reject(error);
    } finally {
      running = false;
    }
  };
  return <T>(work: (tx: AnyTransaction) => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (result: unknown) => void, reject });
      if (!running) {
        running = true;
        void groups();
      }
    });
}

/** One group on the connection `db`: BEGIN, its members one by one, COMMIT, then their answers. */
async function runGroup(db: AnyKysely, handle: () => Handle, queue: Member[]): Promise<void> {
  try {
    await run(db, 'begin immediate');
  } catch (error) {
    for (const member of queue.splice(0)) member.reject(error);
    return;
  }
  const done: Done[] = [];
  try {
    while (done.length < SQLITE_GROUP_MAX) {
      const member = queue.shift() ?? (done.length > 0 ? await nextTurnsMember(queue) : undefined);
      if (!member) break;
      const outcome = await runMember(db, handle(), member);
      if (outcome) done.push(outcome);
    }
    await run(db, 'commit');
  } catch (error) {
    await run(db, 'rollback').catch(() => undefined);
    for (const { member } of done) member.reject(error);
    return;
  }
  for (const { member, result } of done) member.resolve(result);
}

/** The first write queued after one turn of the event loop (the requests it reads), if any. */
async function nextTurnsMember(queue: Member[]): Promise<Member | undefined> {
  await new Promise((resolve) => setImmediate(resolve));
  return queue.shift();
}

/**
 * Runs one member inside its savepoint: released and returned when it succeeds; rolled back to
 * the savepoint and answered with its error when it throws. Throws (after answering the member)
 * only when the group cannot go on.
 */
async function runMember(db: AnyKysely, handle: Handle, member: Member): Promise<Done | undefined> {
  let result: unknown;
  try {
    await run(db, `savepoint ${SAVEPOINT}`);
    try {
      result = await member.work(handle.tx);
    } finally {
      handle.end();
    }
  } catch (error) {
    try {
      await run(db, `rollback to ${SAVEPOINT}`);
      await run(db, `release ${SAVEPOINT}`);
    } catch (rollbackError) {
      member.reject(error);
      throw rollbackError;
    }
    member.reject(error);
    return undefined;
  }
  try {
    await run(db, `release ${SAVEPOINT}`);
  } catch (error) {
    member.reject(error);
    throw error;
  }
  return { member, result };
}
