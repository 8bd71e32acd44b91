import { errorCodeOf } from '../../db/transient-errors.js';

/**
 * Why the journal refuses a write, as clients see it in the `reason` member of a 503
 * `ERR_JOURNAL_UNAVAILABLE` problem. Stable: clients may rely on these strings.
 *
 * - `disk-full`: the disk holding `DATA_DIR` is full (SQLite's `SQLITE_FULL`, `ENOSPC`);
 * - `write-failed`: another error writing the journal's file (an I/O error, a read-only disk);
 * - `cannot-open`: the file could not be opened (tried again like a failed write);
 * - `limit`: the writes waiting in it hold `JOURNAL_MAX_MB`.
 */
export type JournalFaultReason = 'disk-full' | 'write-failed' | 'cannot-open' | 'limit';

/** What keeps the journal from taking writes while it is broken: why, since when, in words. */
export interface JournalFault {
  reason: Exclude<JournalFaultReason, 'limit'>;
  /** The error's code as the driver gave it (`SQLITE_FULL`, `SQLITE_IOERR_WRITE`...), if any. */
  code: string | undefined;
  /** What is wrong and what to do, for the problem's detail, health and the CLI. */
  detail: string;
  /** When the journal broke (ISO time); kept while it stays broken, whatever error follows. */
  since: string;
}

/**
 * The driver codes that say the disk is full: SQLite's own, and the system's if a file call
 * reports it directly.
 */
const DISK_FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/**
 * Describes an error of a write to the journal's file `file` in `dataDir`: a full disk is named
 * as such, with what to do; anything else is named by its code and message.
 */
export function journalFaultOf(error: unknown, file: string, dataDir: string): JournalFault {
  const since = new Date().toISOString();
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code && DISK_FULL_CODES.has(code)) {
    return {
      reason: 'disk-full',
      code,
      detail: `the disk holding DATA_DIR (${dataDir}) is full; free space on it: the journal takes writes again by itself within seconds (${code}: ${message})`,
      since,
    };
  }
  return { reason: 'write-failed', code, detail: `the journal could not write its file ${file} (${code ? `${code}: ` : ''}${message})`, since };
}

/** The fault of a journal whose file could not be opened: a full disk is named as such, like for a write. */
export function cannotOpenFault(error: unknown, file: string, dataDir: string): JournalFault {
  const fault = journalFaultOf(error, file, dataDir);
  if (fault.reason === 'disk-full') return fault;
  const message = error instanceof Error ? error.message : String(error);
  return { reason: 'cannot-open', code: fault.code, detail: `cannot open ${file}: ${message}`, since: fault.since };
}

/**
 * True for an error that says the journal's file cannot be written (full, I/O, read-only,
 * damaged), as opposed to one a caller made (a constraint) or a lock another process holds.
 */
export function isStorageError(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (!code) return false;
  if (DISK_FULL_CODES.has(code)) return true;
  return (
    ['SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_PERM'].some((prefix) => code.startsWith(prefix)) ||
    ['EIO', 'EROFS', 'EACCES', 'EPERM'].includes(code)
  );
}
