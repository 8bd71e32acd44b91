import { Cron } from 'croner';
import type { JobSchedule } from './job.js';

/** The shortest interval a job may have: shorter ones would be a busy loop, not a job. */
export const MIN_INTERVAL_MS = 10;

/** A schedule's slots: the instants runs are due at, the same in every process. */
export interface Slots {
  /** The first slot strictly after `afterMs`. */
  next(afterMs: number): number;
  /** The latest slot at or before `atMs` (0 if none): a run due while nothing was running. */
  previous(atMs: number): number;
}

/**
 * The slots of `schedule`, or an error saying what is wrong with it (an unparsable cron
 * expression, an interval under {@link MIN_INTERVAL_MS}), for the module loader to report.
 */
export function slotsOf(schedule: JobSchedule): Slots {
  if ('everyMs' in schedule) {
    const every = schedule.everyMs;
    if (!Number.isInteger(every) || every < MIN_INTERVAL_MS)
      throw new Error(`schedule.everyMs must be an integer of at least ${MIN_INTERVAL_MS} ms, got ${every}`);
    return {
      next: (after) => Math.floor(after / every) * every + every,
      previous: (at) => Math.floor(at / every) * every,
    };
  }
  let cron: Cron;
  try {
    // NB: without a function croner only parses and computes; it schedules nothing.
    cron = new Cron(schedule.cron);
  } catch (error) {
    throw new Error(`schedule.cron "${schedule.cron}" is not a cron expression: ${(error as Error).message}`, { cause: error });
  }
  return {
    next: (after) => cron.nextRun(new Date(after))?.getTime() ?? Number.POSITIVE_INFINITY,
    previous: (at) => cron.previousRuns(1, new Date(at + 1))[0]?.getTime() ?? 0,
  };
}
