// `npm run test:mutation:db`: the database layer against its own tests, on both engines (see
// docs/mutation-testing.md).
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: ['src/db/**/*.ts', '!src/**/*.test.ts'],
  vitest: { ...base.vitest, configFile: 'vitest.mutation-db.config.ts' },
  // These suites take seconds each: a mutant that makes one hang is called a timeout (killed)
  // after 10 s instead of the full run's 20.
  timeoutMS: 10_000,
  htmlReporter: { fileName: 'reports/mutation-db/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-db/mutation.json' },
  incrementalFile: 'reports/mutation-db/stryker-incremental.json',
};
