import os from 'node:os';
import type { Logger } from '../log/create-logger.js';
import { newId } from '../shared/ids.js';
import { sleep } from '../shared/sleep.js';
import { withTimeout } from '../shared/with-timeout.js';
import type { Job, JobReport } from './job.js';
import { CLOCK_LEEWAY_MS, MemoryJobStore, type Claim, type JobRecord, type JobStore, type RunResult } from './job-store.js';
import { slotsOf, type Slots } from './schedule.js';
import { errorText } from '../shared/error-text.js';
import { defineErrors } from '../shared/error-registry.js';

/** Consecutive failures of a job that fire a `job_failing` alert. */
export const FAILURES_TO_ALERT = 5;
/** A run's lease outlasts its timeout by this much: a holder that died is taken over after it. */
export const JOB_LEASE_MARGIN_MS = 5_000;
/** At shutdown, how long cancelled runs may take to finish before the process goes on stopping. */
export const JOB_STOP_GRACE_MS = 2_000;
/** How long claiming a run or reading job states may wait for the database. */
export const JOB_DATABASE_TIMEOUT_MS = 2_000;
/**
 * How long {@link JobRunner.states} waits for the database before answering from its last view:
 * below the health check's 2 s budget, since `/health` shows these states.
 */
export const JOB_STATES_TIMEOUT_MS = 1_500;
/** When the database does not answer a claim, how soon the same slot is tried again. */
export const JOB_CLAIM_RETRY_MS = 5_000;

/** What the runner tells when a job keeps failing, and when it recovers; the ops Alerter fits. */
export interface JobAlerts {
  raise(kind: 'job_failing', summary: string, details: Record<string, unknown>, options: { subject: string }): void;
  resolve(kind: 'job_failing', summary: string, details: Record<string, unknown>, options: { subject: string; firedElsewhere: boolean }): void;
}

/** How much longer than its period a job may go without a run before `/health` warns. */
export const LATE_MARGIN_MS = 15 * 60_000;

/** How often the wall clock is compared with the monotonic one. */
export const CLOCK_CHECK_MS = 30_000;
/** A difference between the two clocks past this is a jump of the wall clock. */
export const CLOCK_JUMP_MS = 60_000;

/** The clocks a {@link JobRunner} reads: the wall clock (slots are wall-clock instants) and a monotonic one. */
export interface JobClock {
  wall(): number;
  monotonic(): number;
}

const SYSTEM_CLOCK: JobClock = { wall: () => Date.now(), monotonic: () => performance.now() };

/** A job as `/health` and `GET /api/system/jobs` show it. */
export interface JobState {
  name: string;
  scope: Job['scope'];
  schedule: string;
  running: boolean;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** When this process will next try it; null once stopped. */
  nextRunAt: string | null;
  /**
   * What looks wrong with its timing, for `/health`: a last run recorded in the future (the
   * clock went back), or no run for longer than its period plus {@link LATE_MARGIN_MS}. Null when fine.
   */
  timing: string | null;
  runs: number;
  failures: number;
}

/** This process's own figures of one job, for `/metrics` (summed across workers). */
export interface JobCounters {
  runs: number;
  failures: number;
  /** Epoch ms of this process's last successful run. */
  lastSuccessAt: number | null;
}

/** Stable error codes of the job runner, given as the reason a run's signal aborted. */
export const JobError = defineErrors('jobs', {
  TIMEOUT: { code: 'ERR_JOB_TIMEOUT' },
  CANCELLED: { code: 'ERR_JOB_CANCELLED' },
});

/** Why a run's signal aborted: its timeout. */
export class JobTimeoutError extends Error {
  override readonly name = 'JobTimeoutError';
  readonly code = JobError.TIMEOUT;
}

/** Why a run's signal aborted: the process is stopping. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError';
  readonly code = JobError.CANCELLED;
}

interface Entry {
  job: Job;
  slots: Slots;
  store: JobStore;
  registered: boolean;
  timer?: NodeJS.Timeout;
  nextAt?: number;
  run?: { controller: AbortController; done: Promise<void> };
  counters: JobCounters;
}

function describe(job: Job): string {
  return 'cron' in job.schedule ? `cron ${job.schedule.cron}` : `every ${job.schedule.everyMs} ms`;
}

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

/** Resolves like `work`, or rejects with the signal's reason once it aborts (a job that ignores it is left behind). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    work.then(resolve, reject);
  });
}

/**
 * Runs periodic jobs. Each is tried at every slot of its schedule, and once at start for a slot
 * missed while nothing ran (the PC was off at midnight). A try first claims the run in the job's
 * store (cluster jobs: a lease row in the database, so one process runs each slot); the run gets
 * an `AbortSignal` aborted at its timeout or at shutdown. A failure is logged, counted and retried
 * with exponential backoff; the 5th in a row raises a `job_failing` alert, and the success that
 * ends the streak resolves it. A job never takes the process down.
 */
export class JobRunner {
  readonly #entries: Entry[];
  readonly #memory = new MemoryJobStore();
  readonly #holder = `${os.hostname()}|${process.pid}|${newId()}`;
  readonly #cache = new Map<string, JobRecord>();
  /** The read of each store in flight: concurrent callers (health checks) share it instead of each holding a connection. */
  readonly #reading = new Map<JobStore, Promise<void>>();
  #stopped = true;

  readonly #clock: JobClock;
  #clockWatch: NodeJS.Timeout | undefined;

  constructor(
    jobs: Job[],
    private readonly options: { cluster: JobStore; log: Logger; alerts: JobAlerts; failuresToAlert?: number; clock?: JobClock; clockCheckMs?: number },
  ) {
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#entries = jobs.map((job) => ({
      job,
      slots: slotsOf(job.schedule),
      store: job.scope === 'cluster' ? options.cluster : this.#memory,
      registered: false,
      counters: { runs: 0, failures: 0, lastSuccessAt: null },
    }));
  }

  /** Starts trying every job: at once for a slot missed, then at each slot. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#scheduleMissed();
    this.#watchClock();
  }

  /** Tries every job not running now for the slot due at this instant (a missed one runs), then at its next slots. */
  #scheduleMissed(): void {
    const now = this.#clock.wall();
    for (const entry of this.#entries) if (!entry.run) this.#schedule(entry, now, entry.slots.previous(now));
  }

  /**
   * Watches the wall clock against the monotonic one: when it jumps (NTP correcting a clock that
   * was a day ahead, an operator setting it back) every job is scheduled again from the new time,
   * and the store lets a slot that a wrong clock claimed "in the future" be run now.
   */
  #watchClock(): void {
    let wall = this.#clock.wall();
    let monotonic = this.#clock.monotonic();
    this.#clockWatch = setInterval(() => {
      const [nowWall, nowMonotonic] = [this.#clock.wall(), this.#clock.monotonic()];
      const jumpMs = nowWall - wall - (nowMonotonic - monotonic);
      [wall, monotonic] = [nowWall, nowMonotonic];
      if (Math.abs(jumpMs) < CLOCK_JUMP_MS || this.#stopped) return;
      this.options.log.warn({ jumpMs: Math.round(jumpMs) }, 'the system clock jumped; jobs are scheduled again from the new time');
      this.#scheduleMissed();
    }, this.options.clockCheckMs ?? CLOCK_CHECK_MS);
    this.#clockWatch.unref();
  }

  /** Stops scheduling, aborts running jobs and waits for them up to {@link JOB_STOP_GRACE_MS}. */
  async stop(graceMs = JOB_STOP_GRACE_MS): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#clockWatch);
    const running: Promise<void>[] = [];
    for (const entry of this.#entries) {
      clearTimeout(entry.timer);
      entry.nextAt = undefined;
      if (entry.run) {
        entry.run.controller.abort(new JobCancelledError('the process is stopping'));
        running.push(entry.run.done);
      }
    }
    if (running.length) await Promise.race([Promise.all(running), sleep(graceMs)]);
  }

  /**
   * Every job's state: from the database for cluster jobs (this process's last view if it does
   * not answer within {@link JOB_STATES_TIMEOUT_MS}). Concurrent callers share one read per store.
   */
  async states(): Promise<JobState[]> {
    const groups = new Map<JobStore, string[]>();
    for (const e of this.#entries) groups.set(e.store, [...(groups.get(e.store) ?? []), e.job.name]);
    await Promise.all(
      [...groups].map(async ([store, names]) => {
        try {
          await withTimeout(this.#read(store, names), JOB_STATES_TIMEOUT_MS, 'the database');
        } catch {
          // The last view stays; /health says the database is down on its own.
        }
      }),
    );
    return this.#entries.map((e) => this.#stateOf(e));
  }

  /** Reads `names` from `store` into the cache, joining the read of that store already in flight. */
  #read(store: JobStore, names: string[]): Promise<void> {
    let reading = this.#reading.get(store);
    if (!reading) {
      reading = store
        .read(names)
        .then((records) => {
          for (const record of records) this.#cache.set(record.name, record);
        })
        .finally(() => this.#reading.delete(store));
      this.#reading.set(store, reading);
    }
    return reading;
  }

  /** This process's run counters per job, for metrics. */
  counters(): Array<{ name: string } & JobCounters> {
    return this.#entries.map((e) => ({ name: e.job.name, ...e.counters }));
  }

  #stateOf(entry: Entry): JobState {
    const record = this.#cache.get(entry.job.name);
    return {
      name: entry.job.name,
      scope: entry.job.scope,
      schedule: describe(entry.job),
      running: entry.run !== undefined || (record?.running ?? false),
      lastRunAt: iso(record?.lastRunAt),
      lastSuccessAt: iso(record?.lastSuccessAt),
      lastError: record?.lastError ?? null,
      consecutiveFailures: record?.consecutiveFailures ?? 0,
      nextRunAt: iso(entry.nextAt),
      timing: this.#timingOf(entry, record?.lastRunAt ?? null),
      runs: record?.runs ?? 0,
      failures: record?.failures ?? 0,
    };
  }

  #timingOf(entry: Entry, lastRunAt: number | null): string | null {
    if (lastRunAt === null) return null;
    const now = this.#clock.wall();
    if (lastRunAt > now + CLOCK_LEEWAY_MS)
      return `its last run is recorded at ${iso(lastRunAt)}, in the future: the system clock went back since; check the clock (NTP)`;
    const next = entry.slots.next(now);
    const period = entry.slots.next(next) - next;
    if (Number.isFinite(period) && now - lastRunAt > period + LATE_MARGIN_MS)
      return `it has not run since ${iso(lastRunAt)}, longer than its period (${Math.round(period / 60_000)} min) plus ${LATE_MARGIN_MS / 60_000} min`;
    return null;
  }

  /** Tries `entry` at `at` for `slot` (by default the slot at `at`). */
  #schedule(entry: Entry, at: number, slot = at): void {
    if (this.#stopped) return;
    clearTimeout(entry.timer);
    entry.nextAt = at;
    // NB: setTimeout's longest delay is about 24.8 days; a farther slot is reached in steps.
    const delay = Math.min(Math.max(at - this.#clock.wall(), 0), 2 ** 31 - 1);
    entry.timer = setTimeout(() => (this.#clock.wall() >= at ? void this.#try(entry, slot) : this.#schedule(entry, at, slot)), delay);
    entry.timer.unref();
  }

  async #try(entry: Entry, slot: number): Promise<void> {
    const { job, store } = entry;
    const now = this.#clock.wall();
    if (!job.ready()) {
      // Its module waits for the database or failed: look again shortly, the slot may still be run.
      this.#retrySoon(entry, slot, now);
      return;
    }
    let claim: Claim;
    try {
      if (!entry.registered) {
        await withTimeout(store.register([job.name]), JOB_DATABASE_TIMEOUT_MS, 'the database');
        entry.registered = true;
      }
      const limits = { leaseMs: job.timeoutMs + JOB_LEASE_MARGIN_MS, maxBackoffMs: job.retry.maxDelayMs };
      claim = await withTimeout(store.claim(job.name, this.#holder, slot, now, limits), JOB_DATABASE_TIMEOUT_MS, 'the database');
    } catch (error) {
      // Without the database the run cannot be claimed: this slot is tried again shortly, unless the next one comes first.
      this.options.log.warn({ job: job.name, err: error, retryInMs: JOB_CLAIM_RETRY_MS }, 'job not started: its lease could not be taken; will try again');
      this.#retrySoon(entry, slot, now);
      return;
    }
    if (claim.clockWentBackMs > 0) {
      this.options.log.warn(
        { job: job.name, slot: new Date(slot).toISOString(), clockWentBackMs: claim.clockWentBackMs, claimed: claim.claimed },
        'job store holds instants ahead of the clock: the clock went back; the slot due now is run',
      );
    }
    if (!claim.claimed) {
      // Another process ran this slot, runs it now, or a failure's backoff holds it off.
      this.#schedule(entry, entry.slots.next(now));
      return;
    }
    if (this.#stopped) {
      // Stopped while the claim was on its way: the slot goes back for the next start.
      await store.release(job.name, this.#holder).catch(() => undefined);
      return;
    }
    const controller = new AbortController();
    const done = this.#run(entry, controller);
    entry.run = { controller, done };
    await done;
    entry.run = undefined;
  }

  /** Tries `slot` again after {@link JOB_CLAIM_RETRY_MS}, unless the next slot comes first. */
  #retrySoon(entry: Entry, slot: number, now: number): void {
    const next = entry.slots.next(now);
    if (now + JOB_CLAIM_RETRY_MS < next) this.#schedule(entry, now + JOB_CLAIM_RETRY_MS, slot);
    else this.#schedule(entry, next);
  }

  /** Runs the claimed slot's job, records the run and schedules the next; a run cancelled by shutdown hands its slot back. */
  async #run(entry: Entry, controller: AbortController): Promise<void> {
    const { job, store } = entry;
    const startedAt = this.#clock.wall();
    const { result, report, work } = await this.#execute(job, controller);
    if (controller.signal.reason instanceof JobCancelledError) {
      // The job got the abort; it has a moment to stop cleanly before its slot is handed back.
      await Promise.race([work.catch(() => undefined), sleep(JOB_STOP_GRACE_MS)]);
      this.options.log.info({ job: job.name }, 'job run cancelled by shutdown; the next start runs it');
      await store.release(job.name, this.#holder).catch(() => undefined);
      return;
    }
    const now = this.#clock.wall();
    entry.counters.runs += 1;
    if (result.ok) entry.counters.lastSuccessAt = now;
    else entry.counters.failures += 1;
    const finished = await this.#finish(entry, result, now);
    if (!finished) return;
    const { record, previousFailures } = finished;
    this.#cache.set(job.name, record);
    const durationMs = now - startedAt;
    if (result.ok) this.#succeeded(entry, now, durationMs, report, previousFailures);
    else this.#failed(entry, now, durationMs, result.error, record);
  }

  /**
   * Runs `job` until it ends, or until `controller` aborts it (its timeout, or a shutdown): the
   * run's result and report, and the run itself, which may go on after an abort.
   */
  async #execute(job: Job, controller: AbortController): Promise<{ result: RunResult; report: JobReport | void; work: Promise<JobReport | void> }> {
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(`the run took longer than its timeout of ${job.timeoutMs} ms`)), job.timeoutMs);
    const work = Promise.resolve().then(() => job.run(controller.signal));
    try {
      const report = await untilAborted(work, controller.signal);
      return { result: { ok: true }, report, work };
    } catch (error) {
      return { result: { ok: false, error: errorText(error) }, report: undefined, work };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records the run in the job store; undefined when the database does not answer, the next slot then scheduled as usual. */
  async #finish(entry: Entry, result: RunResult, now: number): Promise<{ previousFailures: number; record: JobRecord } | undefined> {
    const { job, store } = entry;
    try {
      return await withTimeout(
        store.finish(job.name, this.#holder, result, now, (failures) => Math.min(job.retry.firstDelayMs * 2 ** (failures - 1), job.retry.maxDelayMs)),
        JOB_DATABASE_TIMEOUT_MS,
        'the database',
      );
    } catch (error) {
      // The run happened but could not be recorded; its lease runs out and the next slot runs as usual.
      this.options.log.warn({ job: job.name, err: error }, 'job run could not be recorded; the database does not answer');
      this.#schedule(entry, entry.slots.next(now));
      return undefined;
    }
  }

  /** A run succeeded: logged, a `job_failing` alert resolved if its failures had fired one, and the next slot scheduled. */
  #succeeded(entry: Entry, now: number, durationMs: number, report: JobReport | void, previousFailures: number): void {
    const { job } = entry;
    // A run with nothing to report (the pool watch, every 5 s) is logged at debug, not to drown the log.
    const level = report && Object.keys(report).length > 0 ? 'info' : 'debug';
    this.options.log[level]({ job: job.name, durationMs, ...(report ?? {}) }, 'job run succeeded');
    if (previousFailures >= this.#failuresToAlert) {
      this.options.alerts.resolve(
        'job_failing',
        'a failing job succeeded again',
        { job: job.name, failedTimes: previousFailures },
        { subject: job.name, firedElsewhere: true },
      );
    }
    this.#schedule(entry, entry.slots.next(now));
  }

  /** A run failed: logged, a `job_failing` alert raised once the failures in a row reach the threshold, and a retry scheduled after the store's backoff. */
  #failed(entry: Entry, now: number, durationMs: number, error: string, record: JobRecord): void {
    const { job } = entry;
    this.options.log.warn(
      { job: job.name, durationMs, error, consecutiveFailures: record.consecutiveFailures, retryInMs: record.notBefore - now },
      'job run failed; will retry',
    );
    if (record.consecutiveFailures === this.#failuresToAlert) {
      this.options.alerts.raise(
        'job_failing',
        'a job has failed several times in a row',
        { job: job.name, consecutiveFailures: record.consecutiveFailures, error },
        { subject: job.name },
      );
    }
    this.#schedule(entry, record.notBefore);
  }

  get #failuresToAlert(): number {
    return this.options.failuresToAlert ?? FAILURES_TO_ALERT;
  }
}
