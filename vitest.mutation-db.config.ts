import { defineConfig } from 'vitest/config';
import mutation from './vitest.mutation.config.js';

/**
 * The database layer's tests (`npm run test:mutation:db`): the unit tests of `src/db` and the
 * suites of `test/db` that open a database in-process, on both engines (transactions and their
 * round trips, rows inserted, the pool under connection faults, several hosts, statistics,
 * indexes). Two suites stay in the full run: `write-deadline`, which starts a private
 * PostgreSQL server, and `pgbouncer`, which starts PgBouncer and two apps for minutes.
 */
export default defineConfig({
  ...mutation,
  test: {
    ...mutation.test,
    include: ['src/db/**/*.test.ts', 'test/db/*.test.ts'],
    exclude: [...(mutation.test?.exclude ?? []), 'test/db/write-deadline.test.ts', 'test/db/pgbouncer.test.ts'],
  },
});
