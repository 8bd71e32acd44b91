import { defineJob, type JobDefinition } from '../../src/jobs/job.js';
import { sleep } from '../../src/shared/sleep.js';

/** A job for "one run at a time" tests: it counts its runs and notices two running at once. */
export interface CountingJob {
  job: JobDefinition<void>;
  runs(): number;
  /** True once two runs overlapped. */
  overlapped(): boolean;
}

/** A {@link CountingJob} due every `everyMs`, each run lasting `holdMs`. */
export function countingJob(everyMs: number, holdMs: number): CountingJob {
  let active = 0;
  let overlapped = false;
  let runs = 0;
  const job = defineJob<void>({
    name: 'shared',
    schedule: { everyMs },
    run: async () => {
      active += 1;
      overlapped ||= active > 1;
      runs += 1;
      await sleep(holdMs);
      active -= 1;
    },
  });
  return { job, runs: () => runs, overlapped: () => overlapped };
}
