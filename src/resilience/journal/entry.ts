/** The life of a journal entry: waiting, done (applied, or found already applied), or parked. */
export type JournalStatus = 'pending' | 'applied' | 'duplicate' | 'dead' | 'discarded';

/** A write accepted into the journal, as stored. */
export interface JournalEntry {
  seq: number;
  receipt: string;
  tenantId: string;
  userId: string | null;
  idempotencyKey: string;
  fingerprint: string;
  command: string;
  commandVersion: number;
  payload: unknown;
  /** The payload's fields its command declared secret: shown masked. */
  secretFields: string[];
  /** The token epoch of the token it came with (`null`: none, or journaled by an older robusto). */
  tokenEpoch: number | null;
  requestId: string;
  acceptedAt: string;
  status: JournalStatus;
  attemptsStarted: number;
  attemptsFinished: number;
  lastError: string | null;
  lastErrorCode: string | null;
  statusCode: number | null;
  response: unknown;
  /**
   * Set for a write whose COMMIT answer was lost: the id of the audit row it wrote. If that row
   * exists, the write was saved, and `statusCode`/`response` (what it answered) are its outcome.
   */
  appliedIfAudit: string | null;
}

/** What is appended: everything needed to run the command later, exactly once. */
export type JournalAppend = Pick<
  JournalEntry,
  'tenantId' | 'userId' | 'idempotencyKey' | 'fingerprint' | 'command' | 'commandVersion' | 'payload' | 'requestId'
> & {
  secretFields?: readonly string[];
  tokenEpoch?: number;
  /** For a write whose COMMIT answer was lost: its audit row's id and what it answered. */
  uncertain?: { auditId: string; status: number; body: unknown };
};

/** How one replay attempt of an entry ended: still pending (a transient error) or a final status. */
export interface AttemptOutcome {
  status: JournalStatus;
  statusCode?: number;
  response?: unknown;
  error?: string;
  errorCode?: string;
}

/**
 * What an entry is counted as holding beyond its payload's JSON: its other columns (ids, key,
 * fingerprint, times) and its index entries, about this much on disk.
 */
export const ENTRY_OVERHEAD_BYTES = 256;

/** A row of the `entries` table, as SQLite gives it. */
export interface EntryRow {
  seq: number;
  receipt: string;
  tenant_id: string;
  user_id: string | null;
  idempotency_key: string;
  fingerprint: string;
  command: string;
  command_version: number;
  payload: string;
  secret_fields: string | null;
  token_epoch: number | null;
  request_id: string;
  accepted_at: string;
  status: JournalStatus;
  attempts_started: number;
  attempts_finished: number;
  last_error: string | null;
  last_error_code: string | null;
  status_code: number | null;
  response: string | null;
  applied_if_audit: string | null;
}

/** The entry a row of `entries` stores: its JSON columns read back. */
export function toEntry(row: EntryRow): JournalEntry {
  return {
    seq: row.seq,
    receipt: row.receipt,
    tenantId: row.tenant_id,
    userId: row.user_id,
    idempotencyKey: row.idempotency_key,
    fingerprint: row.fingerprint,
    command: row.command,
    commandVersion: row.command_version,
    payload: JSON.parse(row.payload) as unknown,
    secretFields: row.secret_fields ? (JSON.parse(row.secret_fields) as string[]) : [],
    tokenEpoch: row.token_epoch,
    requestId: row.request_id,
    acceptedAt: row.accepted_at,
    status: row.status,
    attemptsStarted: row.attempts_started,
    attemptsFinished: row.attempts_finished,
    lastError: row.last_error,
    lastErrorCode: row.last_error_code,
    statusCode: row.status_code,
    response: row.response === null ? null : (JSON.parse(row.response) as unknown),
    appliedIfAudit: row.applied_if_audit,
  };
}
