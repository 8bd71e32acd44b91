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
import type { Database } from '../db/database.js';
import type { MigrationSet } from '../db/migrate.js';
import type { Logger } from '../log/create-logger.js';
import type { Command } from '../resilience/command.js';
import type { DispatchMeta, DispatchResult } from '../resilience/dispatcher.js';
import type { Identity } from '../identity/index.js';
import type { Hooks } from '../shared/hooks.js';

/** The Fastify instance a module's routes are registered on: TypeBox schemas give typed handlers. */
export type ModuleRouter = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * What a feature module receives from the kernel: config, database, logger, identity, the app's
 * hooks, and the two ways to write. The operations console gets more (`AdminContext`).
 */
export interface ModuleContext {
  readonly config: Readonly<Config>;
  /** For reads. Writes go through {@link ModuleContext.execute} or {@link ModuleContext.dispatch} only. */
  readonly db: Database;
  /** A child logger carrying `module: <name>`. */
  readonly log: Logger;
  /** Who is signed in: signs tokens, and forgets a user whose rights changed (the auth module). */
  readonly identity: Identity;
  /** The app's hooks: where modules plug into each other (see `Hooks`). */
  readonly hooks: Hooks;
  /**
   * Runs a write command for an HTTP request and sends its outcome: the principal and request id
   * come from the request, the `Idempotency-Key` header is honoured, the audit row is written.
   */
  execute<P, R>(request: FastifyRequest, reply: FastifyReply, command: Command<P, R>, payload: P): Promise<FastifyReply>;
  /**
   * Runs a write command outside HTTP (a first start, a job), in one transaction with its audit
   * row, for the tenant and user `meta` names (`userId: null` for the system).
   */
  dispatch<P, R>(command: Command<P, R>, payload: P, meta: DispatchMeta): Promise<DispatchResult>;
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
export interface ModuleDefinition<C extends ModuleContext = ModuleContext> {
  /** Lower-case identifier, `[a-z][a-z0-9_]*`; names the migration table and log lines. */
  name: string;
  /** One sentence saying what the module is for: the description of its tag in the OpenAPI document. */
  description?: string;
  /** URL prefix of its routes; defaults to `/api/<name>`. */
  prefix?: string;
  /**
   * The module's writes. Every command its routes run must be listed: a write journaled while
   * the database was down is replayed later by looking its command up by name.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commands of any payload and result, each typed where it is defined
  commands?: Command<any, any>[];
  /** The module's migrations, applied in name order before its routes serve. */
  migrations?: MigrationSet;
  /** Registers the module's routes, relative to its prefix. */
  routes?: (app: ModuleRouter, ctx: C) => Promise<void>;
  /**
   * Runs once the module's migrations are applied, before it serves (e.g. seeding first data).
   * A transient database error retries it later; any other error marks the module failed.
   */
  onReady?: (ctx: C) => Promise<void>;
  /**
   * The module's periodic jobs, run by the kernel's job runner as `<module>.<job>` once the
   * module is ready (see {@link JobDefinition}).
   */
  jobs?: JobDefinition<C>[];
  /** Optional check of the module's own dependencies, run by `/health` with a timeout. */
  health?: (ctx: C) => Promise<ModuleHealth>;
}

/** Declares a module; an identity function that gives the definition its type. */
export function defineModule<C extends ModuleContext = ModuleContext>(definition: ModuleDefinition<C>): ModuleDefinition<C> {
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
  /** A part of the operations console (built in only): it gets the console's context, not a feature's. */
  console?: boolean;
}
