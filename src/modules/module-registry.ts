import type { Database } from '../db/database.js';
import { MigrationError, migrateOwner } from '../db/migrate.js';
import { isTransientError } from '../db/transient-errors.js';
import type { Logger } from '../log/create-logger.js';
import { defaultPrefixOf, type ModuleContext, type ModuleDefinition, type ModuleSource } from './module.js';
import type { MigrationSet } from '../db/migrate.js';
import { slotsOf } from '../jobs/schedule.js';
import { errorText } from '../shared/error-text.js';

/** Where a module is in its life: waiting for its migrations, serving, or out of service. */
export type ModuleStatus = 'pending' | 'ready' | 'failed';

/** The step at which a module failed. */
export type ModuleStage = 'import' | 'register' | 'migrate' | 'start';

/** One module as the kernel tracks it: where it came from, its status and, if failed, why. */
export interface LoadedModule {
  readonly name: string;
  readonly prefix: string;
  readonly origin: string;
  status: ModuleStatus;
  stage?: ModuleStage;
  error?: string;
  /** Present once the module's code imported and its definition was valid. */
  readonly definition?: ModuleDefinition;
  /** A part of the operations console (see `ModuleSource.console`). */
  readonly console?: boolean;
}

const MODULE_NAME = /^[a-z][a-z0-9_]*$/;
const JOB_NAME = /^[a-z][a-z0-9-]*$/;

/** What is wrong with a module's `jobs`, if anything: each needs a name, a valid schedule and a `run`. */
function jobsProblem(jobs: unknown): string | undefined {
  if (!Array.isArray(jobs)) return 'jobs must be an array of defineJob({ name, schedule, run })';
  const names = new Set<string>();
  for (const job of jobs as Array<Record<string, unknown>>) {
    const name = job?.name;
    if (typeof name !== 'string' || !JOB_NAME.test(name)) return 'each job needs a name of lower-case letters, digits and - (e.g. "archive-old")';
    if (names.has(name)) return `two jobs are named "${name}"`;
    names.add(name);
    if (typeof job.run !== 'function') return `job "${name}": run must be a function (ctx, signal) => Promise<void>`;
    if (job.schedule === null || typeof job.schedule !== 'object') return `job "${name}": schedule must be { cron: "…" } or { everyMs: … }`;
    try {
      slotsOf(job.schedule as { cron: string });
    } catch (error) {
      return `job "${name}": ${(error as Error).message}`;
    }
  }
  return undefined;
}

function definitionProblem(candidate: unknown): string | undefined {
  if (candidate === null || typeof candidate !== 'object') return 'the file does not export a module definition (export default defineModule({...}))';
  const def = candidate as Partial<ModuleDefinition>;
  if (typeof def.name !== 'string' || !MODULE_NAME.test(def.name)) return 'the definition needs a name of lower-case letters, digits and _ (e.g. "invoices")';
  // Everything under /api is authenticated: a module elsewhere would serve without a token.
  if (def.prefix !== undefined && (typeof def.prefix !== 'string' || !/^\/api\/[a-z0-9_-]+$/.test(def.prefix)))
    return 'prefix must be /api/<name> (e.g. "/api/invoices")';
  if (def.routes !== undefined && typeof def.routes !== 'function') return 'routes must be a function (app, ctx) => Promise<void>';
  if (def.migrations !== undefined && (def.migrations === null || typeof def.migrations !== 'object'))
    return 'migrations must be an object of { name: { up, down? } }';
  if (def.jobs !== undefined) return jobsProblem(def.jobs);
  return undefined;
}

/**
 * Every module of this process and its status. Each module is imported, registered and
 * migrated on its own: a failure marks that module `failed` with the error and the stage, and
 * the others carry on.
 */
export class ModuleRegistry {
  readonly modules: LoadedModule[] = [];
  readonly #log: Logger;
  #migrating: Promise<boolean> | undefined;

  private constructor(log: Logger) {
    this.#log = log;
  }

  /** Imports every source, one at a time; never throws. */
  static async import(sources: ModuleSource[], log: Logger): Promise<ModuleRegistry> {
    const registry = new ModuleRegistry(log);
    for (const source of sources) await registry.#importOne(source);
    return registry;
  }

  async #importOne(source: ModuleSource): Promise<void> {
    let definition: ModuleDefinition;
    try {
      const exported = (await source.load()) as { default?: unknown; module?: unknown };
      const candidate = exported?.default ?? exported?.module;
      const problem = definitionProblem(candidate);
      if (problem) throw new Error(problem);
      definition = candidate as ModuleDefinition;
    } catch (error) {
      this.#add({ name: source.name, prefix: defaultPrefixOf(source.name), origin: source.origin, status: 'failed', stage: 'import', error: errorText(error) });
      return;
    }
    const prefix = definition.prefix ?? defaultPrefixOf(definition.name);
    const clash = this.modules.find((m) => m.name === definition.name || m.prefix === prefix);
    if (clash) {
      this.#add({
        name: definition.name,
        prefix,
        origin: source.origin,
        status: 'failed',
        stage: 'import',
        error: `name or prefix already used by module "${clash.name}" (${clash.origin})`,
      });
      return;
    }
    const needsDatabase = Object.keys(definition.migrations ?? {}).length > 0 || definition.onReady !== undefined;
    this.#add({
      name: definition.name,
      prefix,
      origin: source.origin,
      status: needsDatabase ? 'pending' : 'ready',
      definition,
      console: source.console === true,
    });
  }

  #add(module: LoadedModule): void {
    this.modules.push(module);
    if (module.status === 'failed')
      this.#log.error(
        { module: module.name, origin: module.origin, stage: module.stage, error: module.error },
        'module failed to load; the other modules keep serving',
      );
  }

  /** Marks a module failed at `stage`, logging why. */
  fail(module: LoadedModule, stage: ModuleStage, error: unknown): void {
    module.status = 'failed';
    module.stage = stage;
    module.error = errorText(error);
    this.#log.error({ module: module.name, origin: module.origin, stage, error: module.error }, 'module failed to load; the other modules keep serving');
  }

  /**
   * Applies the core migrations, then for every pending module its migrations and its
   * `onReady`; a module that gets through becomes `ready`, one that fails becomes `failed`.
   * If the core migrations fail, every module that needs the database fails with them.
   * Resolves `true` when nothing is left pending, `false` when the database dropped mid-way
   * (call again once it is back). Concurrent calls share one run.
   */
  migrate(db: Database, core: MigrationSet, contextOf: (module: LoadedModule) => ModuleContext): Promise<boolean> {
    this.#migrating ??= this.#migrateAll(db, core, contextOf).finally(() => {
      this.#migrating = undefined;
    });
    return this.#migrating;
  }

  async #migrateAll(db: Database, core: MigrationSet, contextOf: (module: LoadedModule) => ModuleContext): Promise<boolean> {
    try {
      const applied = await migrateOwner(db, 'core', core);
      if (applied.length > 0) this.#log.info({ module: 'core', applied }, 'migrations applied');
    } catch (error) {
      const cause = error instanceof MigrationError ? error.cause : error;
      if (isTransientError(cause)) {
        this.#log.warn({ module: 'core', err: cause }, 'migrations interrupted by a database error; will retry');
        return false;
      }
      for (const module of this.modules) if (module.status === 'pending') this.fail(module, 'migrate', error);
      return true;
    }
    let complete = true;
    for (const module of this.modules) {
      if (module.status !== 'pending' || !module.definition) continue;
      let stage: ModuleStage = 'migrate';
      try {
        const applied = await migrateOwner(db, module.name, module.definition.migrations ?? {});
        if (applied.length > 0) this.#log.info({ module: module.name, applied }, 'migrations applied');
        stage = 'start';
        await module.definition.onReady?.(contextOf(module));
        module.status = 'ready';
      } catch (error) {
        const cause = error instanceof MigrationError ? error.cause : error;
        if (isTransientError(cause)) {
          complete = false;
          this.#log.warn({ module: module.name, stage, err: cause }, 'module start interrupted by a database error; will retry');
        } else {
          this.fail(module, stage, error);
        }
      }
    }
    return complete;
  }

  /**
   * Applies every migration, the core's then each loaded module's, and nothing else: no module's
   * start-up work (a restore needs the tables empty, without the first start's owner).
   *
   * @throws {MigrationError} naming the migration that failed.
   */
  async migrateSchema(db: Database, core: MigrationSet): Promise<void> {
    await migrateOwner(db, 'core', core);
    for (const module of this.modules)
      if (module.definition && module.status !== 'failed') await migrateOwner(db, module.name, module.definition.migrations ?? {});
  }

  /** The module owning `url` if it cannot serve it (failed, or waiting for migrations). */
  unavailableAt(url: string): LoadedModule | undefined {
    const path = url.split('?')[0] ?? url;
    return this.modules.find((m) => m.status !== 'ready' && (path === m.prefix || path.startsWith(m.prefix + '/')));
  }

  /** Modules that are not serving, for readiness and health. */
  failed(): LoadedModule[] {
    return this.modules.filter((m) => m.status === 'failed');
  }
}
