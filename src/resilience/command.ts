import type { Transaction } from 'kysely';
import type { AppError } from '../shared/app-error.js';

/** Who runs a command and in which request; given to every handler. */
export interface CommandContext {
  tenantId: string;
  /** `null` for writes made by the system (CLI, first start). */
  userId: string | null;
  requestId: string;
  /** The command's time, ISO 8601: one clock reading for the whole write. */
  now: string;
}

/** What a handler returns: the HTTP outcome and which entity it touched (for the audit row). */
export interface CommandOutcome<R = unknown> {
  status: 200 | 201;
  body: R;
  entity: string;
  entityId: string;
}

/** Maps a unique-constraint violation on `columns` of `table` to a clear error. */
export interface ConflictRule<P> {
  table: string;
  columns: string[];
  error: (payload: P) => AppError;
}

/**
 * A named business write. Modules declare their writes as commands; only the dispatcher runs
 * them, inside one transaction that also claims the idempotency key and writes the audit row.
 *
 * @example
 * export const createNote = defineCommand<CreateNote, Note>({
 *   name: 'notes.create', version: 1,
 *   handler: async (tx, payload, ctx) => { …; return { status: 201, body: note, entity: 'note', entityId: note.id }; },
 * });
 */
export interface Command<P = unknown, R = unknown> {
  /** `<module>.<verb>`, stable: it is stored in the audit trail and (later) the journal. */
  name: string;
  /** Bumped when the payload's meaning changes, so stored commands replay correctly. */
  version: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler(tx: Transaction<any>, payload: P, ctx: CommandContext): Promise<CommandOutcome<R>>;
  /**
   * Optional bulk form of `handler`, for journal replay: applies `items` in order within `tx`
   * with the same effects as `handler` on each in turn (one multi-row INSERT instead of one per
   * item, say), and returns their outcomes in the same order. It may throw for any item it
   * cannot take (bad data, a conflict): the dispatcher then rolls back and applies the items one
   * at a time, which finds the one at fault.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handleMany?(tx: Transaction<any>, items: Array<{ payload: P; ctx: CommandContext }>): Promise<Array<CommandOutcome<R>>>;
  /** Unique violations the handler can cause, and the error each one means. */
  conflicts?: ConflictRule<P>[];
  /**
   * Payload fields that are secret (a password hash, a token): stored whole for replay, shown
   * masked wherever a journaled write is shown (dead letters in the API, the CLI, the admin page).
   */
  secretFields?: ReadonlyArray<keyof P & string>;
}

/** Declares a command; an identity function that gives it its types. */
export function defineCommand<P, R>(command: Command<P, R>): Command<P, R> {
  return command;
}
