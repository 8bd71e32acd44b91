import { DatabaseError } from './database.errors.js';

/**
 * Says whether a database error is transient: worth retrying the same work later because the
 * connection, the server or a lock got in the way, not the data.
 *
 * Transient:
 * - PostgreSQL SQLSTATE class 08 (connection exception) and 53 (insufficient resources);
 *   57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up, shutting
 *   down, in recovery), 57P05 idle session timeout; 40001 serialization failure, 40P01 deadlock
 *   detected; 25006 read-only SQL transaction: a write that reached a standby, as during a
 *   failover before the new primary is found, succeeds once it reaches the primary.
 * - Socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE (and their kin below).
 * - SQLite: SQLITE_BUSY, SQLITE_LOCKED and their extended codes.
 * - node-postgres's own connection failures, which carry no code, only a message.
 * - `ERR_DATABASE_STALLED`: work abandoned because the database stopped answering (see
 *   `DatabaseStalledError`); `ERR_DATABASE_NO_HOST`: no host of `DATABASE_URL` fits its
 *   `target_session_attrs` (no primary yet, during a failover).
 *
 * Everything else (constraint violations, bad data, syntax) is permanent: retrying it would fail
 * the same way.
 */
export function isTransientError(error: unknown): boolean {
  return classify(error, 0);
}

const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P05', '40001', '40P01', '25006']);
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '53']);
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  DatabaseError.STALLED,
  DatabaseError.NO_HOST,
]);
// node-postgres raises these as plain Errors without a code.
const TRANSIENT_PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Query read timeout',
  'Client was closed and is not queryable',
];
const MAX_CAUSE_DEPTH = 5;

function classify(error: unknown, depth: number): boolean {
  if (depth > MAX_CAUSE_DEPTH || error === null || typeof error !== 'object') return false;
  // An AppError is an outcome already decided (e.g. "write outcome unknown"): never retried,
  // whatever its cause.
  if ((error as { name?: unknown }).name === 'AppError') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && isTransientCode(code)) return true;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && TRANSIENT_PG_MESSAGES.some((m) => message.startsWith(m))) return true;
  // A failed connect to "localhost" tries each address and reports an AggregateError.
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.length > 0 && inner.every((e) => classify(e, depth + 1))) return true;
  return classify((error as { cause?: unknown }).cause, depth + 1);
}

function isTransientCode(code: string): boolean {
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true;
  if (TRANSIENT_SOCKET_CODES.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
  return false;
}

/** The SQLSTATE or driver code of a database error, if it has one (for logs and dead letters). */
export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Says whether a failed COMMIT (or a message carrying it) certainly saved nothing, so the write
 * may be tried again instead of being reported as outcome unknown:
 * - the server answered that it rolled the transaction back (SQLSTATE class 40: serialization
 *   failure, deadlock) or refused its write (25006, a read-only server);
 * - the message never left this process whole: the socket refused the write itself (`syscall`
 *   `write`, e.g. ECONNRESET or EPIPE on a connection the server had already reset). The server
 *   runs a message only once it has all of it, so it ran none of it. A connection lost after the
 *   message was written (a read error, or "Connection terminated unexpectedly") stays unknown.
 */
export function savedNothing(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (code === undefined) return false;
  if ((error as { syscall?: unknown }).syscall === 'write') return true;
  return /^[0-9A-Z]{5}$/.test(code) && (code.startsWith('40') || code === '25006');
}
