/**
 * When a job runs: a cron expression (five or six fields, in the server's local time, parsed by
 * croner), or a fixed interval. Interval slots are aligned on the epoch (`everyMs` 3 600 000 runs
 * on the hour), so every worker and instance computes the same slots.
 */
export type JobSchedule = { cron: string } | { everyMs: number };

/**
 * `cluster`: one run per slot across every worker and instance sharing the database, through a
 * lease row in its `jobs` table (pruning, expiring lots). `process`: each process runs its own,
 * for what is the process's own (its connection pool).
 */
export type JobScope = 'cluster' | 'process';

/** The wait before retrying a failed run: `firstDelayMs`, doubling per consecutive failure, at most `maxDelayMs`. */
export interface JobRetry {
  firstDelayMs: number;
  maxDelayMs: number;
}

/** What a run may report (logged with its success, e.g. `{ expired: 3 }`). */
export type JobReport = Record<string, unknown>;

/**
 * A periodic job, declared by a module (`jobs` in its definition) or by the kernel. `run` gets
 * an `AbortSignal` that fires at the run's timeout and at shutdown: a job passes it on, or checks
 * it between steps, and stops. A run that throws is retried with backoff; after 5 consecutive
 * failures a `job_failing` alert fires, and a later success sends `resolved`.
 *
 * @example
 * defineJob<ModuleContext>({
 *   name: 'expire-lots',
 *   schedule: { cron: '5 0 * * *' },
 *   run: async (ctx, signal) => ({ expired: await expireLots(ctx, signal) }),
 * });
 */
export interface JobDefinition<C> {
  /** `[a-z][a-z0-9-]*`; the runner names it `<module>.<name>`. */
  name: string;
  schedule: JobSchedule;
  /** The longest a run may take before its signal aborts it and it counts as failed; default 60 s. */
  timeoutMs?: number;
  /** Default `cluster`. */
  scope?: JobScope;
  /** Default: 5 s doubling up to 10 minutes. */
  retry?: Partial<JobRetry>;
  run(ctx: C, signal: AbortSignal): Promise<JobReport | void>;
}

/** Declares a job; an identity function that gives it its type. */
export function defineJob<C>(job: JobDefinition<C>): JobDefinition<C> {
  return job;
}

/** A job bound to its context and named in full, as the runner runs it. */
export interface Job {
  /** `<module>.<name>`, e.g. `stock.expire-lots`; the key of its row in the `jobs` table. */
  name: string;
  schedule: JobSchedule;
  timeoutMs: number;
  scope: JobScope;
  retry: JobRetry;
  /** False while the job cannot run (its module is not ready): its slots pass without a run. */
  ready: () => boolean;
  run(signal: AbortSignal): Promise<JobReport | void>;
}

/** Defaults of {@link JobDefinition}'s optional fields. */
export const JOB_DEFAULTS = { timeoutMs: 60_000, scope: 'cluster', retry: { firstDelayMs: 5_000, maxDelayMs: 10 * 60_000 } } as const;

/** Binds a definition to its context under `<prefix>.<name>`; `ready` says when it may run. */
export function bindJob<C>(prefix: string, definition: JobDefinition<C>, ctx: C, ready: () => boolean = () => true): Job {
  return {
    name: `${prefix}.${definition.name}`,
    schedule: definition.schedule,
    timeoutMs: definition.timeoutMs ?? JOB_DEFAULTS.timeoutMs,
    scope: definition.scope ?? JOB_DEFAULTS.scope,
    retry: { ...JOB_DEFAULTS.retry, ...definition.retry },
    ready,
    run: (signal) => definition.run(ctx, signal),
  };
}
