import type { Transaction } from 'kysely';
import { AppError } from '../shared/app-error.js';
import type { Hooks } from '../shared/hooks.js';
import type { Permission } from '../shared/principal.js';
import { WriteError } from './write-errors.js';
import { text, type LocalText } from '../shared/i18n/translate.js';

/** Who runs a command and in which request; given to every handler. */
export interface CommandContext {
  tenantId: string;
  /** `null` for writes made by the system (CLI, first start). */
  userId: string | null;
  requestId: string;
  /** The command's time, ISO 8601: one clock reading for the whole write. */
  now: string;
  /** The app's hooks, for a handler that lets other modules plug in (see `Hooks`). */
  hooks: Hooks;
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a command that does not name its tables sees the shared database untyped
export interface Command<P = unknown, R = unknown, DB = any> {
  /** `<module>.<verb>`, stable: it is stored in the audit trail and (later) the journal. */
  name: string;
  /**
   * Bumped when the payload's shape or meaning changes. Every journaled write records the version
   * it was accepted under; replay turns an older payload into this version's with `upcasters`.
   */
  version: number;
  /**
   * For each older version `v`, a pure function turning a payload of version `v` into one of
   * version `v + 1`. Replay applies them in turn, from the version a write was journaled under up
   * to {@link Command.version}; a write with a gap in that chain (or from a newer robusto)
   * becomes a dead letter naming both versions instead of being misread.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an older version's payload, whose shape only its upcaster knows
  upcasters?: Record<number, (payload: any) => unknown>;
  /** Runs the write in `tx`, typed with the tables its module declares (`DB`). */
  handler(tx: Transaction<DB>, payload: P, ctx: CommandContext): Promise<CommandOutcome<R>>;
  /**
   * Optional bulk form of `handler`, for journal replay: applies `items` in order within `tx`
   * with the same effects as `handler` on each in turn (one multi-row INSERT instead of one per
   * item, say), and returns their outcomes in the same order. It may throw for any item it
   * cannot take (bad data, a conflict): the dispatcher then rolls back and applies the items one
   * at a time, which finds the one at fault.
   */
  handleMany?(tx: Transaction<DB>, items: Array<{ payload: P; ctx: CommandContext }>): Promise<Array<CommandOutcome<R>>>;
  /**
   * What its author must be allowed to do (`write` when not given): checked when it is taken,
   * and again against the author's rights of the moment before a journaled write is replayed.
   */
  permission?: Permission;
  /**
   * True for a command that can change whose rights (a role, a deactivation, a sign-out): replay
   * looks the authors of the writes after it up again.
   */
  changesRights?: boolean;
  /** Unique violations the handler can cause, and the error each one means. */
  conflicts?: ConflictRule<P>[];
  /**
   * Payload fields that are secret (a password hash, a token): stored whole for replay, shown
   * masked wherever a journaled write is shown (dead letters in the API, the CLI, the admin page).
   */
  secretFields?: ReadonlyArray<keyof P & string>;
}

/**
 * Loads the rights of the moment of the authors of `entries` (one read of the database) and
 * returns the verdict for each entry: an AppError (`ERR_REPLAY_FORBIDDEN`, naming who, which
 * permission and why) when its author may no longer make it, `undefined` when they may.
 */
export type AuthorCheck = (
  entries: ReadonlyArray<AuthoredWrite>,
) => Promise<(entry: AuthoredWrite, command: Command<unknown, unknown>) => AppError | undefined>;

/** What an author check needs of a journaled write. */
export interface AuthoredWrite {
  tenantId: string;
  /** `null` for the system's own writes, which are always allowed. */
  userId: string | null;
  /** The token epoch of the token it came with; `null` when unknown. */
  tokenEpoch: number | null;
}

/** Declares a command; an identity function that gives it its types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see Command
export function defineCommand<P, R, DB = any>(command: Command<P, R, DB>): Command<P, R, DB> {
  return command;
}

/**
 * The payload of a write journaled under `version` of `command`, turned into the payload of the
 * command's current version by its upcasters.
 *
 * @throws {AppError} `ERR_REPLAY_VERSION_UNKNOWN` (422) naming both versions, when `version` is
 *   newer than the command's or an upcaster on the way is missing or fails.
 */
export function upcastPayload(command: Command<unknown, unknown>, payload: unknown, version: number): unknown {
  if (version === command.version) return payload;
  const unknown = (why: LocalText, cause?: unknown) =>
    new AppError(
      WriteError.REPLAY_VERSION_UNKNOWN,
      422,
      text('writes.versionUnknown', { version, command: command.name, current: command.version, why }),
      cause === undefined ? {} : { cause },
    );
  if (version > command.version) return fail(unknown(text('writes.versionUnknown.newer')));
  let current = payload;
  for (let from = version; from < command.version; from++) {
    const upcast = command.upcasters?.[from];
    if (!upcast) return fail(unknown(text('writes.versionUnknown.noUpcaster', { from, to: from + 1 })));
    try {
      current = upcast(current);
    } catch (error) {
      return fail(
        unknown(text('writes.versionUnknown.upcasterFailed', { from, to: from + 1, error: error instanceof Error ? error.message : String(error) }), error),
      );
    }
  }
  return current;
}

function fail(error: AppError): never {
  throw error;
}
