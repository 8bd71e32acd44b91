import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import { createAppState, type AppState } from './http/app-state.js';
import { createHttpServer } from './http/create-server.js';
import { registerAuthentication } from './http/authenticate.js';
import { registerCircuitGuard } from './http/circuit-guard.js';
import { createExecute } from './http/command-route.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerDrainGuard } from './http/drain-guard.js';
import { registerLoadShedding } from './http/load-shedding.js';
import { registerMetrics } from './http/metrics.js';
import { registerOpenApi } from './http/openapi.js';
import { registerRateLimits } from './http/rate-limits.js';
import { registerNulGuard } from './http/reject-nul.js';
import { registerBodyMemberLimit } from './http/body-members.js';
import { coreMigrations } from './db/migrations/core.migrations.js';
import { bindJob, type Job } from './jobs/job.js';
import { JobRunner } from './jobs/job-runner.js';
import { DatabaseJobStore } from './jobs/job-store.js';
import { Alerter } from './ops/alerts.js';
import { backupJob } from './ops/backup/backup-job.js';
import { backUpNow } from './ops/backup/backup-now.js';
import { poolWatchJob } from './ops/pool-watch.js';
import { pruneJobs } from './resilience/prune.js';
import type { AuthorCheck, Command } from './resilience/command.js';
import { DatabaseCircuit } from './resilience/circuit.js';
import { Dispatcher } from './resilience/dispatcher.js';
import { KnownPrincipals } from './resilience/known-principals.js';
import type { JournalEntry } from './resilience/journal/entry.js';
import { Journal } from './resilience/journal/journal.js';
import { refreshStatisticsAfterReplay } from './resilience/statistics-after-replay.js';
import { Replayer } from './resilience/replayer.js';
import { WritePath } from './resilience/write-path.js';
import { registerAdminPage } from './admin/page/admin-page.js';
import { createDetailsGate } from './http/health-details.js';
import { registerHealthRoutes } from './http/health.routes.js';
import { moduleUnavailable, registerModules } from './http/module-routes.js';
import { registerRequestContext } from './http/request-context.js';
import { registerRequestLogging } from './http/request-log.js';
import type { Logger } from './log/create-logger.js';
import { createIdentity, replayAuthorCheck, type Identity } from './identity/index.js';
import { moduleSources } from './builtin-modules.js';
import type { ModuleContext, ModuleRouter, ModuleSource } from './modules/module.js';
import { ModuleRegistry, type LoadedModule } from './modules/module-registry.js';
import { Hooks } from './shared/hooks.js';
import type { AdminContext } from './admin/admin-context.js';

/** What {@link buildApp} needs: everything with a side effect is made by the caller. */
export interface BuildAppOptions {
  config: Readonly<Config>;
  log: Logger;
  db: Database;
  /** Modules to load; defaults to the built-in ones plus `ROBUSTO_MODULES`. */
  modules?: ModuleSource[];
}

/** A built robusto: the Fastify app (not listening yet), its state and its modules. */
export interface RobustoApp {
  readonly http: ModuleRouter;
  readonly state: AppState;
  readonly registry: ModuleRegistry;
  readonly db: Database;
  /** Who is signed in: the token service and the principal loader of this app. */
  readonly identity: Identity;
  /** Runs commands outside HTTP (CLI, first start) exactly as routes do. */
  readonly dispatcher: Dispatcher;
  /** The local journal of writes accepted while the database was down. */
  readonly journal: Journal;
  /** The circuit breaker on the database: open while it fails, so writes go to the journal at once. */
  readonly circuit: DatabaseCircuit;
  /** Applies the journal once the database answers; `serve` starts it. */
  readonly replayer: Replayer;
  /** The modules' and the kernel's periodic jobs; `serve` starts them. */
  readonly jobs: JobRunner;
  /** Where this process's alerts go (`ALERT_WEBHOOK_URL`). */
  readonly alerter: Alerter;
  /**
   * Applies pending module migrations; `true` when none is left pending. Call it once the
   * database answers (and again after a transient failure).
   */
  migrate(): Promise<boolean>;
}

/**
 * Builds the robusto HTTP app: request ids, problem+json errors, health routes and every module,
 * each loaded on its own. No side effects on import; nothing listens until the caller says so.
 */
export async function buildApp(options: BuildAppOptions): Promise<RobustoApp> {
  const { config, log, db } = options;
  const http = createHttpServer(log, { requestTimeoutMs: config.requestTimeoutMs, trustProxy: config.trustProxy });
  const state = createAppState();
  const registry = await ModuleRegistry.import(options.modules ?? moduleSources(config.extraModules), log);
  const hooks = new Hooks();
  const dispatcher = new Dispatcher(db, { idempotencyTtlHours: config.idempotencyTtlHours, hooks });
  const journal = new Journal(config.paths.dataDir, config.journal, { log });
  const circuit = new DatabaseCircuit(db, log);
  const execute = createExecute(new WritePath(dispatcher, journal, circuit, log));
  const alerter = new Alerter(config.alertWebhookUrl, log);
  const authorCheck = replayAuthorCheck(db);
  const { commandOf, checkAuthor } = journalCommands(registry, authorCheck);
  const identity = createAppIdentity(http, config, db);
  const parts: AppParts = { config, log, db, http, state, registry, hooks, dispatcher, journal, circuit, alerter, identity };
  const contextOf = moduleContexts(parts, execute, {
    journal,
    circuit,
    checkAuthor,
    jobStates: () => jobs.states(),
    lastReplay: () => replayer.lastRound(),
    replayNow: () => replayer.round(),
    backUpNow: () => backUpNow(config, db, log.child({ component: 'backup' })),
  });
  await registerRequestHandling(parts);
  const jobs = createJobs(parts, contextOf);
  await registerRoutes(parts, contextOf, jobs);
  const replayer = new Replayer(journal, dispatcher, circuit, commandOf, authorCheck, log);
  refreshStatisticsAfterReplay(replayer, db, log);

  return {
    http,
    state,
    registry,
    db,
    identity,
    dispatcher,
    journal,
    circuit,
    replayer,
    jobs,
    alerter,
    migrate: () => registry.migrate(db, coreMigrations, contextOf),
  };
}

/** What {@link buildApp} made before its later steps, handed to each of them. */
interface AppParts {
  config: Readonly<Config>;
  log: Logger;
  db: Database;
  http: ModuleRouter;
  state: AppState;
  registry: ModuleRegistry;
  hooks: Hooks;
  dispatcher: Dispatcher;
  journal: Journal;
  circuit: DatabaseCircuit;
  alerter: Alerter;
  identity: Identity;
}

/** What the console's modules get besides a feature's context. */
type ConsoleParts = Omit<AdminContext, keyof ModuleContext>;

/** A module's context, made once per module. */
type ContextOf = (module: LoadedModule) => ModuleContext;

/** How the journal's writes find their command. */
interface JournalCommands {
  /** The command replay applies a write with, if its module is ready. */
  commandOf: (name: string) => Command<unknown, unknown> | undefined;
  /** Whether a write's author may still make it, for the console. */
  checkAuthor: ConsoleParts['checkAuthor'];
}

/**
 * The modules' commands by name, for the journal: replay finds a write's command with
 * `commandOf`, and the console checks a write's author with `checkAuthor`.
 */
function journalCommands(registry: ModuleRegistry, authorCheck: AuthorCheck): JournalCommands {
  const commandModules = new Map<string, { command: Command<unknown, unknown>; module: LoadedModule }>();
  for (const module of registry.modules)
    for (const command of module.definition?.commands ?? []) commandModules.set(command.name, { command: command as Command<unknown, unknown>, module });
  return {
    // For replay, only the commands of modules that are ready (migrated), so a write waits in the
    // journal while its module's tables are not there yet.
    commandOf: (name: string) => {
      const found = commandModules.get(name);
      return found?.module.status === 'ready' ? found.command : undefined;
    },
    checkAuthor: async (entry: JournalEntry) => {
      const command = commandModules.get(entry.command)?.command;
      return command ? (await authorCheck([entry]))(entry, command) : undefined;
    },
  };
}

/** Who is signed in, with what this machine remembers of users for outages (closed with the server). */
function createAppIdentity(http: ModuleRouter, config: Readonly<Config>, db: Database): Identity {
  const knownPrincipals = new KnownPrincipals(config.paths.dataDir);
  http.addHook('onClose', async () => knownPrincipals.close());
  return createIdentity(db, config.secretKey, knownPrincipals);
}

/** Each module's context, made on first use and kept: a feature's, or for the console's modules a feature's plus `consoleParts`. */
function moduleContexts(parts: AppParts, execute: ReturnType<typeof createExecute>, consoleParts: ConsoleParts): ContextOf {
  const { config, db, log, identity, hooks, dispatcher } = parts;
  const contexts = new Map<string, ModuleContext>();
  return (module) => {
    const known = contexts.get(module.name);
    if (known) return known;
    const feature: ModuleContext = {
      config,
      db,
      log: log.child({ module: module.name }),
      identity,
      hooks,
      // Until its migrations ran, a module's writes go to the journal without trying the database.
      execute: (request, reply, command, payload) => execute(request, reply, command, payload, { journalOnly: module.status !== 'ready' }),
      dispatch: (command, payload, meta) => dispatcher.dispatch(command, payload, meta),
    };
    // NB: only the console's modules see the kernel's own state; a feature's context has none of it.
    const ctx: ModuleContext = module.console ? { ...feature, ...consoleParts } : feature;
    contexts.set(module.name, ctx);
    return ctx;
  };
}

/** What every request goes through, in this order, before and around its route. */
async function registerRequestHandling({ http, config, log, state, identity, circuit, registry }: AppParts): Promise<void> {
  registerRequestContext(http);
  registerRequestLogging(http);
  registerDrainGuard(http, state);
  await registerLoadShedding(http, config.shedLoadAtDelayMs, state);
  await registerOpenApi(http);
  await registerRateLimits(http, config, log);
  registerAuthentication(http, identity, circuit);
  registerCircuitGuard(http, circuit);
  registerBodyMemberLimit(http);
  registerNulGuard(http);
  registerErrorHandling(http, (request) => {
    const module = registry.unavailableAt(request.url);
    return module ? moduleUnavailable(module) : undefined;
  });
}

/** The periodic jobs: the kernel's (pruning, the pool watch, the backup when one is set) and every module's. */
function createJobs({ config, db, log, journal, dispatcher, alerter, registry }: AppParts, contextOf: ContextOf): JobRunner {
  const moduleJobs = registry.modules.flatMap((m) =>
    (m.definition?.jobs ?? []).map((definition) => bindJob(m.name, definition, contextOf(m), () => m.status === 'ready')),
  );
  const backup = backupJob(config, db, log.child({ component: 'backup' }));
  const coreJobs: Job[] = [...pruneJobs(journal, dispatcher, config.idempotencyTtlHours), poolWatchJob(db, alerter), ...(backup ? [backup] : [])].map(
    (definition) => bindJob<void>('core', definition, undefined),
  );
  return new JobRunner([...coreJobs, ...moduleJobs], { cluster: new DatabaseJobStore(db), log: log.child({ component: 'jobs' }), alerts: alerter });
}

/** Robusto's own routes (health, the console's page, metrics), then every module's. */
async function registerRoutes(parts: AppParts, contextOf: ContextOf, jobs: JobRunner): Promise<void> {
  const { http, config, db, journal, circuit, registry, state, identity } = parts;
  const details = createDetailsGate(config.healthDetails, identity, circuit);
  registerHealthRoutes(http, { db, journal, circuit, registry, state, contextOf, jobs, details });
  registerAdminPage(http);
  registerMetrics(http, { db, journal, circuit, jobs }, details);
  await registerModules(http, registry, contextOf);
}
