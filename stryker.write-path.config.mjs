// `npm run test:mutation:write-path`: the write path's files against the unit tests and the fast
// in-process suites that drive it (see docs/mutation-testing.md).
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: [
    'src/resilience/dispatcher.ts',
    'src/resilience/write-path.ts',
    'src/resilience/replayer.ts',
    'src/resilience/circuit.ts',
    'src/resilience/journal/*.ts',
    '!src/**/*.test.ts',
  ],
  vitest: { ...base.vitest, configFile: 'vitest.mutation-write-path.config.ts' },
  // These suites take seconds each: a mutant that makes one hang (a write never acknowledged)
  // is called a timeout (killed) after 10 s instead of the full run's 20.
  timeoutMS: 10_000,
  htmlReporter: { fileName: 'reports/mutation-write-path/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-write-path/mutation.json' },
  incrementalFile: 'reports/mutation-write-path/stryker-incremental.json',
};
