import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/support/strict-throw.ts'],
    // StrykerJS's sandbox copies of the tests (npm run test:mutation).
    exclude: [...configDefaults.exclude, '.stryker-tmp/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more parallel forks only make the timing-sensitive fault tests flaky.
    maxWorkers: 2,
    pool: 'forks',
  },
});
