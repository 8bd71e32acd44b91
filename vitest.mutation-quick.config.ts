import { defineConfig } from 'vitest/config';
import mutation from './vitest.mutation.config.js';

/**
 * The unit tests of the mutated code only (`npm run test:mutation:quick`): minutes instead of
 * hours. A mutant these tests miss may still be killed by the integration tests of
 * `vitest.mutation.config.ts`, so the score it gives is a lower bound of the full run's.
 */
export default defineConfig({
  ...mutation,
  test: {
    ...mutation.test,
    include: [
      'src/{db,resilience,shared,http,identity}/**/*.test.ts',
      'test/db/{insert-row,transaction,round-trips,postgres-hosts,postgres-pool,sqlite-group-commit}.test.ts',
    ],
  },
});
