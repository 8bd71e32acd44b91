import { DatabaseError } from './database.errors.js';

/**
 * Database work abandoned because the database answered nothing, on any connection, for longer
 * than its deadline: the server is stalled (stopped, frozen I/O, a silent network) rather than
 * slow. The connection the work used has been destroyed, so nothing more of it can reach the
 * server. Transient (the circuit counts it, the write path journals the write), but never
 * retried at once: each retry would wait a whole deadline again.
 */
export class DatabaseStalledError extends Error {
  override readonly name = 'DatabaseStalledError';
  readonly code = DatabaseError.STALLED;
}
