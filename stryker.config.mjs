// Mutation testing of the write path: see docs/mutation-testing.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // Forks, as in npm test: some tests set the umask, which worker threads may not.
  vitest: { configFile: 'vitest.mutation.config.ts', pool: 'forks' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/resilience/**/*.ts',
    'src/db/**/*.ts',
    'src/shared/principal.ts',
    'src/identity/principals.ts',
    'src/identity/authors.ts',
    'src/http/authenticate.ts',
    '!src/**/*.test.ts',
  ],
  coverageAnalysis: 'perTest',
  // Mutants of module-level code (run once at import) would need every test rerun for each of
  // them; they are left out (see docs/mutation-testing.md).
  ignoreStatic: true,
  // One test process: the machine running it is small (2 cores), and the tests time themselves.
  concurrency: 1,
  timeoutMS: 20_000,
  // The first run of every test, with coverage, takes several minutes on 2 busy cores.
  dryRunTimeoutMinutes: 40,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  thresholds: { high: 80, low: 60, break: null },
};
