import { defineConfig } from 'vitest/config';
import mutation from './vitest.mutation.config.js';

/**
 * The database layer's tests (`npm run test:mutation:db`): the unit tests of `src/db` and the
 * suites of `test/db` that open a database in-process, on both engines (transactions and their
 * round trips, rows inserted, the pool under connection faults, several hosts, a transaction
 * pooler, statistics, indexes). The suite with a private PostgreSQL server (`write-deadline`)
 * stays in the full run.
 */
export default defineConfig({
  ...mutation,
  test: {
    ...mutation.test,
    include: ['src/db/**/*.test.ts', 'test/db/*.test.ts'],
    exclude: [...(mutation.test?.exclude ?? []), 'test/db/write-deadline.test.ts'],
  },
});
