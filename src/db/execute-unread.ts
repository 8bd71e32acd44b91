import type { Compilable, Kysely, Transaction } from 'kysely';
import { directConnectionOf } from './dialects/postgres-transaction.js';

/**
 * Runs a statement whose result the caller does not read (a DELETE or UPDATE done for its
 * effect). Inside a write transaction on PostgreSQL it is held back and goes to the server with
 * the next statement that needs an answer, or with the COMMIT (see `TransactionConnection`),
 * instead of costing a round trip of its own; its error, if any, surfaces there. Elsewhere it
 * simply runs.
 */
export function executeUnread<DB>(db: Kysely<DB> | Transaction<DB>, query: Compilable): Promise<void> {
  const compiled = query.compile();
  const direct = directConnectionOf(db);
  if (direct) return direct.run(compiled.sql, compiled.parameters);
  return db.executeQuery(compiled).then(() => undefined);
}
