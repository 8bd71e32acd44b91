import type { Logger } from '../log/create-logger.js';
import { isTransientError } from '../db/transient-errors.js';
import { AppError } from '../shared/app-error.js';
import { newId } from '../shared/ids.js';
import type { Command } from './command.js';
import { WriteOutcomeUnknownError, type DispatchMeta, type DispatchResult, type Dispatcher } from './dispatcher.js';
import type { DatabaseCircuit } from './circuit.js';
import { JournalTenantFullError, JournalUnavailableError } from './journal/journal-errors.js';
import type { Journal } from './journal/journal.js';
import { BrokenCircuitError } from 'cockatiel';
import { reusedKey, WriteError } from './write-errors.js';
import { text, type LocalText } from '../shared/i18n/translate.js';

/** How long a client refused by the journal is told to wait before retrying. */
const JOURNAL_REFUSED_RETRY_AFTER_S = 30;

/** How {@link WritePath.submit} takes a write. */
export interface SubmitOptions {
  /**
   * Straight to the journal, without trying the database: the command's module waits for its
   * migrations (the database has not answered since the start), so its tables may not exist yet.
   */
  journalOnly?: boolean;
}

/** How a write was taken: done now (201/200), or queued in the journal (202 and a receipt). */
export type Submitted = { kind: 'done'; result: DispatchResult } | { kind: 'queued'; receipt: string; replayed: boolean };

/**
 * Why a write went to the journal, which a refusal names (never "the database is not answering"
 * when it answers): the database failed or its circuit is open; earlier writes wait in the
 * journal and this one must not overtake them; its module waits for its migrations; or it is a
 * retry of a write with the same key whose append is under way.
 */
type JournalRoute = 'database-down' | 'behind-queue' | 'module-waiting' | 'same-key';

const ROUTE_TEXT: Record<JournalRoute, LocalText> = {
  'database-down': text('writes.route.databaseDown'),
  'behind-queue': text('writes.route.behindQueue'),
  'module-waiting': text('writes.route.moduleWaiting'),
  'same-key': text('writes.route.sameKey'),
};

/**
 * The way every HTTP write goes (docs/resilience.md, "When the database goes down"): straight to the database
 * while it answers and the journal is empty; to the journal, acknowledged with a receipt once
 * on disk, when the database fails after the dispatcher's short retries, and for as long as the
 * journal holds anything, so that no write overtakes an earlier one. While the database circuit
 * is open, writes go to the journal at once, without waiting for the database to time out. A
 * write whose COMMIT answer was lost is journaled too: replay applies it unless its audit row
 * shows it was saved.
 */
export class WritePath {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly journal: Journal,
    private readonly circuit: DatabaseCircuit,
    private readonly log: Logger,
  ) {}

  /** Takes one write; see the class comment. */
  async submit<P, R>(command: Command<P, R>, payload: P, meta: DispatchMeta, options: SubmitOptions = {}): Promise<Submitted> {
    const clientKey = meta.idempotencyKey;
    if (clientKey) {
      const receipt = await this.#queuedReceipt(meta.tenantId, clientKey, meta.fingerprint);
      if (receipt) return { kind: 'queued', receipt, replayed: true };
    }
    // The audit row's id, chosen here: if the COMMIT's answer is lost, replay looks for it.
    const auditId = newId();
    let unknownOutcome: WriteOutcomeUnknownError | undefined;
    let route: JournalRoute;
    if (options.journalOnly) route = 'module-waiting';
    else if (!this.circuit.closed) route = 'database-down';
    else if (this.journal.hasPending()) route = 'behind-queue';
    else {
      try {
        // NB: a literal, not `{ ...meta, auditId }`: object spread is several times slower.
        const withAudit: DispatchMeta = {
          tenantId: meta.tenantId,
          userId: meta.userId,
          requestId: meta.requestId,
          idempotencyKey: meta.idempotencyKey,
          fingerprint: meta.fingerprint,
          auditId,
        };
        return { kind: 'done', result: await this.circuit.execute(() => this.dispatcher.dispatch(command, payload, withAudit)) };
      } catch (error) {
        if (error instanceof WriteOutcomeUnknownError) unknownOutcome = error;
        else if (!isTransientError(error) && !(error instanceof BrokenCircuitError)) throw error;
        this.log.warn({ command: command.name, err: error, outcomeUnknown: unknownOutcome !== undefined }, 'database unavailable; write journaled');
        route = 'database-down';
      }
    }
    const receipt = await this.#onDisk(
      this.journal.append({
        tenantId: meta.tenantId,
        userId: meta.userId,
        // A key of the server's own when the client sent none: replay applies the write once
        // even if it is interrupted between the database commit and the journal's mark.
        idempotencyKey: clientKey ?? `auto:${newId()}`,
        fingerprint: meta.fingerprint,
        command: command.name,
        commandVersion: command.version,
        payload,
        ...(command.secretFields ? { secretFields: command.secretFields } : {}),
        ...(meta.tokenEpoch !== undefined ? { tokenEpoch: meta.tokenEpoch } : {}),
        requestId: meta.requestId,
        ...(unknownOutcome ? { uncertain: { auditId, ...unknownOutcome.intended } } : {}),
      }),
      route,
      unknownOutcome,
    );
    return { kind: 'queued', receipt, replayed: false };
  }

  /**
   * The receipt of a write with this key still waiting in the journal (on disk, or in the group
   * commit under way): a retry, or a concurrent duplicate, gets the same receipt instead of a
   * second entry. 422 if the key came with another request.
   */
  async #queuedReceipt(tenantId: string, key: string, fingerprint: string): Promise<string | undefined> {
    const inFlight = this.journal.queuedByKey(tenantId, key);
    const onDisk = inFlight ? undefined : this.journal.byKey(tenantId, key);
    const found = inFlight ?? (onDisk?.status === 'pending' ? onDisk : undefined);
    if (!found) return undefined;
    if (found.fingerprint !== fingerprint) {
      throw reusedKey(key);
    }
    return inFlight ? this.#onDisk(inFlight.done, 'same-key') : onDisk?.receipt;
  }

  /**
   * Waits for an append to be on disk; a journal that cannot take it means 503, never 202: "not
   * saved", or, for a write whose COMMIT answer was lost, its own "may or may not be saved". The
   * detail says why the write went to the journal (`route`) and what keeps the journal from
   * taking it; the problem's `reason` names the latter (see `JournalFaultReason`).
   */
  async #onDisk(append: Promise<string>, route: JournalRoute, unknownOutcome?: WriteOutcomeUnknownError): Promise<string> {
    try {
      return await append;
    } catch (error) {
      if (!(error instanceof JournalUnavailableError) && !(error instanceof JournalTenantFullError)) throw error;
      if (unknownOutcome) throw unknownOutcome;
      if (error instanceof JournalTenantFullError) {
        throw new AppError(WriteError.JOURNAL_TENANT_FULL, 503, text('writes.tenantFull', { route: ROUTE_TEXT[route], reason: error.message }), {
          retryAfterSeconds: JOURNAL_REFUSED_RETRY_AFTER_S,
          cause: error,
        });
      }
      throw new AppError(WriteError.JOURNAL_UNAVAILABLE, 503, text('writes.journalUnavailable', { route: ROUTE_TEXT[route], reason: error.message }), {
        retryAfterSeconds: JOURNAL_REFUSED_RETRY_AFTER_S,
        extensions: { reason: error.reason },
        cause: error,
      });
    }
  }
}
