import { sql } from 'kysely';
import type { Database } from '../db/database.js';

/** What is known of a job's runs: shared by every process for a cluster job, this process's for a process job. */
export interface JobRecord {
  name: string;
  /** A process holds the job's lease now (a run is in progress). */
  running: boolean;
  /** Epoch milliseconds, or null before the first run. */
  lastRunAt: number | null;
  lastSuccessAt: number | null;
  /** The last failed run's error, cleared by a success. */
  lastError: string | null;
  consecutiveFailures: number;
  /** No run starts before this instant (a failed run's backoff). */
  notBefore: number;
  runs: number;
  failures: number;
}

/**
 * How far ahead of the clock a stored instant may lie before it is taken as written under a clock
 * that has since gone back (corrected by NTP, a wrong BIOS clock fixed): a slot claimed "tomorrow",
 * a lease or a backoff ending a day from now. Such an instant no longer holds a run off.
 */
export const CLOCK_LEEWAY_MS = 5 * 60_000;

/** The claim's limits: how long the lease lasts, and the longest a failure's backoff can be. */
export interface ClaimLimits {
  leaseMs: number;
  maxBackoffMs: number;
}

/** What a claim found: whether this holder runs the slot, and by how much the clock went back (0 if it did not). */
export interface Claim {
  claimed: boolean;
  clockWentBackMs: number;
}

/** How a run ended. */
export type RunResult = { ok: true } | { ok: false; error: string };

/**
 * Where the job runner keeps leases and run history. A run happens only once its `claim`
 * succeeded: the slot is newer than the last one claimed, no lease runs, and no backoff holds it;
 * an instant stored further ahead than it could have been (see {@link CLOCK_LEEWAY_MS}) counts as
 * past, so a clock that went back never silences a job.
 */
export interface JobStore {
  /** Makes sure each job has its row. */
  register(names: string[]): Promise<void>;
  /** Takes the job for `slot` (epoch ms) until `now + leaseMs`; not claimed when it is not this holder's to run. */
  claim(name: string, holder: string, slot: number, now: number, limits: ClaimLimits): Promise<Claim>;
  /**
   * Records a run's end and gives the lease up; a failure holds the next run off for
   * `retryDelay(consecutive failures)`. Returns the failures before this run and the record after it.
   */
  finish(
    name: string,
    holder: string,
    result: RunResult,
    now: number,
    retryDelay: (failures: number) => number,
  ): Promise<{ previousFailures: number; record: JobRecord }>;
  /**
   * Gives the lease up without recording a run (a run cancelled at shutdown), and hands its slot
   * back: the next process to start runs it as a missed run.
   */
  release(name: string, holder: string): Promise<void>;
  read(names: string[]): Promise<JobRecord[]>;
}

interface Row {
  name: string;
  holder: string | null;
  lease_until: number;
  slot: number;
  not_before: number;
  last_run_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  consecutive_failures: number;
  runs: number;
  failures: number;
}

const EMPTY: Omit<Row, 'name'> = {
  holder: null,
  lease_until: 0,
  slot: 0,
  not_before: 0,
  last_run_at: null,
  last_success_at: null,
  last_error: null,
  consecutive_failures: 0,
  runs: 0,
  failures: 0,
};

/** The longest error text kept: enough to say what failed, not a whole stack. */
const ERROR_MAX_LENGTH = 2_000;

// NB: bigint columns read as numbers on both engines (the PostgreSQL dialect parses int8).
function recordOf(row: Row, now: number): JobRecord {
  return {
    name: row.name,
    running: row.holder !== null && row.lease_until > now,
    lastRunAt: row.last_run_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    consecutiveFailures: row.consecutive_failures,
    notBefore: row.not_before,
    runs: row.runs,
    failures: row.failures,
  };
}

/** The instants past which a stored one cannot have been written under today's clock. */
function horizons(now: number, limits: ClaimLimits) {
  return { slot: now + CLOCK_LEEWAY_MS, lease: now + limits.leaseMs + CLOCK_LEEWAY_MS, backoff: now + limits.maxBackoffMs + CLOCK_LEEWAY_MS };
}

/** How far the clock went back, judging by what the row holds (0 if nothing lies impossibly ahead). */
function clockWentBack(row: Pick<Row, 'slot' | 'lease_until' | 'not_before'>, now: number, limits: ClaimLimits): number {
  const far = horizons(now, limits);
  const ahead = [
    row.slot > far.slot ? row.slot - now : 0,
    row.lease_until > far.lease ? row.lease_until - limits.leaseMs - now : 0,
    row.not_before > far.backoff ? row.not_before - now : 0,
  ];
  return Math.max(0, ...ahead);
}

/** Tells whether the row lets `slot` be claimed at `now`. */
function claimable(row: Pick<Row, 'slot' | 'lease_until' | 'not_before'>, slot: number, now: number, limits: ClaimLimits): boolean {
  const far = horizons(now, limits);
  return (
    (row.slot < slot || row.slot > far.slot) &&
    (row.lease_until <= now || row.lease_until > far.lease) &&
    (row.not_before <= now || row.not_before > far.backoff)
  );
}

/** The row changes a run's end makes, the same for both stores. */
function finished(row: Row, result: RunResult, now: number, retryDelay: (failures: number) => number): Partial<Row> {
  const failures = result.ok ? 0 : row.consecutive_failures + 1;
  return {
    holder: null,
    lease_until: 0,
    last_run_at: now,
    last_success_at: result.ok ? now : row.last_success_at,
    last_error: result.ok ? null : result.error.slice(0, ERROR_MAX_LENGTH),
    consecutive_failures: failures,
    not_before: result.ok ? 0 : now + retryDelay(failures),
    runs: row.runs + 1,
    failures: row.failures + (result.ok ? 0 : 1),
  };
}

/** Cluster jobs' store: the `jobs` table of the main database (a core migration). */
export class DatabaseJobStore implements JobStore {
  constructor(private readonly db: Database) {}

  async register(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.db.kysely
      .insertInto('jobs')
      .values(names.map((name) => ({ name })))
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }

  async claim(name: string, holder: string, slot: number, now: number, limits: ClaimLimits): Promise<Claim> {
    const before = (await this.db.kysely.selectFrom('jobs').select(['slot', 'lease_until', 'not_before']).where('name', '=', name).executeTakeFirst()) as
      Row | undefined;
    const far = horizons(now, limits);
    // One conditional UPDATE: of the processes claiming the same slot, exactly one changes the row.
    const result = await this.db.kysely
      .updateTable('jobs')
      .set({ holder, lease_until: now + limits.leaseMs, slot })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('slot', '<', slot), eb('slot', '>', far.slot)]))
      .where((eb) => eb.or([eb('lease_until', '<=', now), eb('lease_until', '>', far.lease)]))
      .where((eb) => eb.or([eb('not_before', '<=', now), eb('not_before', '>', far.backoff)]))
      .executeTakeFirst();
    return { claimed: Number(result.numUpdatedRows) === 1, clockWentBackMs: before ? clockWentBack(before, now, limits) : 0 };
  }

  async finish(
    name: string,
    holder: string,
    result: RunResult,
    now: number,
    retryDelay: (failures: number) => number,
  ): Promise<{ previousFailures: number; record: JobRecord }> {
    // NB: only the lease holder writes the row, so reading it first cannot race another writer.
    const row = (await this.db.kysely.selectFrom('jobs').selectAll().where('name', '=', name).executeTakeFirstOrThrow()) as Row;
    const changes = finished(row, result, now, retryDelay);
    await this.db.kysely.updateTable('jobs').set(changes).where('name', '=', name).where('holder', '=', holder).execute();
    return { previousFailures: row.consecutive_failures, record: recordOf({ ...row, ...changes }, now) };
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.kysely
      .updateTable('jobs')
      .set({ holder: null, lease_until: 0, slot: sql`slot - 1` })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  async read(names: string[]): Promise<JobRecord[]> {
    if (names.length === 0) return [];
    // NB: in a transaction only for its deadline (DB_WRITE_DEADLINE_MS): `/health` reads this,
    // and a stalled server must not keep the pooled connection for the whole statement timeout.
    const rows = (await this.db.transaction((tx) => tx.selectFrom('jobs').selectAll().where('name', 'in', names).execute())) as Row[];
    const now = Date.now();
    return rows.map((row) => recordOf(row, now));
  }
}

/** Process jobs' store: this process's memory, the same rules as the database's. */
export class MemoryJobStore implements JobStore {
  readonly #rows = new Map<string, Row>();

  #row(name: string): Row {
    let row = this.#rows.get(name);
    if (!row) {
      row = { name, ...EMPTY };
      this.#rows.set(name, row);
    }
    return row;
  }

  async register(names: string[]): Promise<void> {
    for (const name of names) this.#row(name);
  }

  async claim(name: string, holder: string, slot: number, now: number, limits: ClaimLimits): Promise<Claim> {
    const row = this.#row(name);
    const clockWentBackMs = clockWentBack(row, now, limits);
    if (!claimable(row, slot, now, limits)) return { claimed: false, clockWentBackMs };
    Object.assign(row, { holder, lease_until: now + limits.leaseMs, slot });
    return { claimed: true, clockWentBackMs };
  }

  async finish(
    name: string,
    holder: string,
    result: RunResult,
    now: number,
    retryDelay: (failures: number) => number,
  ): Promise<{ previousFailures: number; record: JobRecord }> {
    const row = this.#row(name);
    const previousFailures = row.consecutive_failures;
    const changes = finished(row, result, now, retryDelay);
    if (row.holder === holder) Object.assign(row, changes);
    return { previousFailures, record: recordOf({ ...row, ...changes }, now) };
  }

  async release(name: string, holder: string): Promise<void> {
    const row = this.#row(name);
    if (row.holder === holder) Object.assign(row, { holder: null, lease_until: 0, slot: row.slot - 1 });
  }

  async read(names: string[]): Promise<JobRecord[]> {
    const now = Date.now();
    return names.map((name) => recordOf(this.#row(name), now));
  }
}
