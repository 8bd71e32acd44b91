import type SqliteDatabase from 'better-sqlite3';
import type { JournalLimits } from '../../config/config.js';
import { ENTRY_OVERHEAD_BYTES } from './entry.js';
import { JournalTenantFullError, JournalUnavailableError } from './journal-errors.js';
import type { JournalStore } from './journal-store.js';

/** `bytes` in megabytes, two decimals at most, for messages. */
export function megabytes(bytes: number): string {
  return String(Math.round((bytes / 1048576) * 100) / 100);
}

/**
 * The journal's limits on what waits in it: `JOURNAL_MAX_MB` in all and `JOURNAL_TENANT_MAX_MB`
 * for each tenant, counted over the pending entries on disk (`tenant_usage`, the same for every
 * process sharing the file) and the appends of this process waiting for their group commit.
 * What the file once grew to does not count.
 */
export class JournalShares {
  readonly #maxBytes: number;
  readonly #tenantMaxBytes: number;
  readonly #queuedBytes: (tenantId: string) => number;
  #held!: SqliteDatabase.Statement;

  /** `queuedBytes` tells what the group commit under way holds for a tenant (the tenant '': in all). */
  constructor(store: JournalStore, limits: JournalLimits, queuedBytes: (tenantId: string) => number) {
    this.#maxBytes = limits.maxMegabytes * 1024 * 1024;
    this.#tenantMaxBytes = limits.tenantMaxMegabytes * 1024 * 1024;
    this.#queuedBytes = queuedBytes;
    store.onOpen((db) => {
      this.#held = db.prepare(`select tenant_id, pending_bytes from tenant_usage where tenant_id in (?, '')`);
    });
  }

  /**
   * The error that refuses an entry of `bytes` for `tenantId`: the journal's limit reached
   * ({@link JournalUnavailableError}) or the tenant's share ({@link JournalTenantFullError});
   * undefined when it fits.
   */
  refusal(tenantId: string, bytes: number): Error | undefined {
    const holding = this.#holding(tenantId);
    if (holding.total + bytes > this.#maxBytes) return new JournalUnavailableError(`${this.full()}; it empties as the database comes back`, 'limit');
    if (holding.tenant + bytes > this.#tenantMaxBytes) {
      return new JournalTenantFullError(
        `this tenant's writes waiting in the journal hold their whole share (${megabytes(this.#tenantMaxBytes)} MB, JOURNAL_TENANT_MAX_MB); it empties as the database comes back`,
      );
    }
    return undefined;
  }

  /** True while one more entry (its overhead alone) fits under `JOURNAL_MAX_MB`. */
  hasRoom(): boolean {
    return this.#holding('').total + ENTRY_OVERHEAD_BYTES <= this.#maxBytes;
  }

  /** What a journal whose waiting writes hold `JOURNAL_MAX_MB` says. */
  full(): string {
    return `the journal is full (the writes waiting in it hold ${megabytes(this.#maxBytes)} MB, JOURNAL_MAX_MB)`;
  }

  /** What the pending entries of `tenantId`, and of all tenants, hold on disk and in the group commit under way. */
  #holding(tenantId: string): { tenant: number; total: number } {
    let tenant = this.#queuedBytes(tenantId);
    let total = this.#queuedBytes('');
    for (const row of this.#held.all(tenantId) as Array<{ tenant_id: string; pending_bytes: number }>) {
      if (row.tenant_id === '') total += row.pending_bytes;
      else tenant += row.pending_bytes;
    }
    return { tenant, total };
  }
}
