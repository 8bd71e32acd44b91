import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Config } from '../config/config.js';
import type { JobDefinition } from '../jobs/job.js';
import type { JobState } from '../jobs/job-runner.js';
import type { Database } from '../db/database.js';
import type { MigrationSet } from '../db/migrate.js';
import type { Logger } from '../log/create-logger.js';
import type { Command } from '../resilience/command.js';
import type { Dispatcher } from '../resilience/dispatcher.js';
import type { DatabaseCircuit } from '../resilience/circuit.js';
import type { Journal, JournalEntry } from '../resilience/journal.js';
import type { Identity } from '../identity/index.js';
import type { Hooks } from '../shared/hooks.js';

/** The Fastify instance a module's routes are registered on: TypeBox schemas give typed handlers. */
export type ModuleRouter = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What a module receives from the kernel: config, database, logger, and the way to write. */
export interface ModuleContext {
  readonly config: Readonly<Config>;
  /** For reads. Writes go through {@link ModuleContext.execute} (or the dispatcher) only. */
  readonly db: Database;
  /** A child logger carrying `module: <name>`. */
  readonly log: Logger;
  /** Runs commands outside HTTP (first start, CLI), with the same transaction and audit row. */
  readonly dispatcher: Dispatcher;
  /** The local journal of writes accepted while the database was down (receipts read it). */
  readonly journal: Journal;
  /** The circuit breaker on the main database: its state for the admin and health. */
  readonly circuit: DatabaseCircuit;
  /** Who is signed in: signs tokens, and forgets a user whose rights changed (the auth module). */
  readonly identity: Identity;
  /** The app's hooks: where modules plug into each other (see `Hooks`). */
  readonly hooks: Hooks;
  /**
   * Whether the author of a journaled write may still make it (present, active, the same token
   * epoch, the command's permission): an AppError saying who, which permission and why not, or
   * `undefined`. Reads the database.
   */
  checkAuthor(entry: JournalEntry): Promise<Error | undefined>;
  /** Every periodic job's state (last run, last success, failures, next run), for the admin. */
  jobStates(): Promise<JobState[]>;
  /**
   * Runs a write command for an HTTP request and sends its outcome: the principal and request id
   * come from the request, the `Idempotency-Key` header is honoured, the audit row is written.
   */
  execute<P, R>(request: FastifyRequest, reply: FastifyReply, command: Command<P, R>, payload: P): Promise<FastifyReply>;
}

/** The result of a module's own health check, shown under its entry in `/health`. */
export interface ModuleHealth {
  status: 'pass' | 'warn' | 'fail';
  output?: string;
}

/**
 * A module: one feature of robusto (customers, students…) or a user's own, loaded on its own so
 * that its failure never takes the others down.
 *
 * @example
 * export default defineModule({
 *   name: 'notes',
 *   migrations: { '0001_create_notes': { up: async (db) => { … } } },
 *   routes: async (app, ctx) => { app.get('/', async () => ({ items: [] })); },
 *   jobs: [defineJob({ name: 'archive-old', schedule: { cron: '0 2 * * *' }, run: async (ctx, signal) => { … } })],
 * });
 */
export interface ModuleDefinition {
  /** Lower-case identifier, `[a-z][a-z0-9_]*`; names the migration table and log lines. */
  name: string;
  /** URL prefix of its routes; defaults to `/api/<name>`. */
  prefix?: string;
  /**
   * The module's writes. Every command its routes run must be listed: a write journaled while
   * the database was down is replayed later by looking its command up by name.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  commands?: Command<any, any>[];
  /** The module's migrations, applied in name order before its routes serve. */
  migrations?: MigrationSet;
  /** Registers the module's routes, relative to its prefix. */
  routes?: (app: ModuleRouter, ctx: ModuleContext) => Promise<void>;
  /**
   * Runs once the module's migrations are applied, before it serves (e.g. seeding first data).
   * A transient database error retries it later; any other error marks the module failed.
   */
  onReady?: (ctx: ModuleContext) => Promise<void>;
  /**
   * The module's periodic jobs, run by the kernel's job runner as `<module>.<job>` once the
   * module is ready (see {@link JobDefinition}).
   */
  jobs?: JobDefinition<ModuleContext>[];
  /** Optional check of the module's own dependencies, run by `/health` with a timeout. */
  health?: (ctx: ModuleContext) => Promise<ModuleHealth>;
}

/** Declares a module; an identity function that gives the definition its type. */
export function defineModule(definition: ModuleDefinition): ModuleDefinition {
  return definition;
}

/** The URL prefix a module named `name` gets when it does not set one. */
export function defaultPrefixOf(name: string): string {
  return `/api/${name}`;
}

/** Where a module comes from: a built-in folder or a file named in `ROBUSTO_MODULES`. */
/** The `origin` of the modules robusto ships (`src/modules/`); any other origin is a file path. */
export const BUILTIN_ORIGIN = 'builtin';

export interface ModuleSource {
  /** The name the module is expected to have (folder or file name), used if importing fails. */
  name: string;
  /** `builtin` or the file's path. */
  origin: string;
  /** Imports the module's code; may throw or reject. */
  load: () => Promise<unknown>;
}
