// `npm run test:mutation:quick`: the same mutants, against the unit tests only (a lower bound of
// the score; see docs/mutation-testing.md).
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  vitest: { ...base.vitest, configFile: 'vitest.mutation-quick.config.ts' },
  htmlReporter: { fileName: 'reports/mutation-quick/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-quick/mutation.json' },
  incrementalFile: 'reports/mutation-quick/stryker-incremental.json',
};
