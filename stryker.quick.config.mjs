// `npm run test:mutation:quick`: the same mutants, against the unit tests only (a lower bound of
// the score; see docs/mutation-testing.md).
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { ...base.vitest, configFile: 'vitest.mutation-quick.config.ts' },
  // The unit tests take seconds in all: a mutant that makes one hang (a write never acknowledged)
  // is called a timeout (killed) after 5 s instead of the full run's 20.
  timeoutMS: 5_000,
  htmlReporter: { fileName: 'reports/mutation-quick/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' },
  incrementalFile: 'reports/mutation-quick/stryker-incremental.json',
};
