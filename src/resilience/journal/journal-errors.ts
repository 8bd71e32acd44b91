import { WriteError } from '../write-errors.js';
import type { JournalFaultReason } from './fault.js';

/** Thrown when the journal cannot take a write: full, unwritable, or its fsync failed; `reason` says which. */
export class JournalUnavailableError extends Error {
  override readonly name = 'JournalUnavailableError';
  readonly code = WriteError.JOURNAL_UNAVAILABLE;

  constructor(
    message: string,
    readonly reason: JournalFaultReason,
  ) {
    super(message);
  }
}

/** Thrown when one tenant's waiting writes hold their whole share of the journal; other tenants can still write. */
export class JournalTenantFullError extends Error {
  override readonly name = 'JournalTenantFullError';
  readonly code = WriteError.JOURNAL_TENANT_FULL;
}
