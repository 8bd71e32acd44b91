import { defineConfig } from 'vitest/config';
import mutation from './vitest.mutation.config.js';

/**
 * The write path's tests (`npm run test:mutation:write-path`): the unit tests of the quick run
 * and the in-process suites that drive the dispatcher, the journal, the replayer and the write
 * path through the API, the PostgreSQL outage among them (about 14 s). The full run adds the
 * rest (a full journal, load shedding, rate limits, …), so the score it gives is a lower bound
 * of the full run's too.
 */
export default defineConfig({
  ...mutation,
  test: {
    ...mutation.test,
    include: [
      'src/{db,resilience,shared,http,identity}/**/*.test.ts',
      'test/db/{insert-row,transaction,round-trips,sqlite-group-commit}.test.ts',
      'test/resilience/{replay,idempotency,lost-commit,same-key-switch,journal-unavailable,journal-shares,outage-rights,outage}.test.ts',
    ],
  },
});
