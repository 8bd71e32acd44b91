import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more parallel forks only make the timing-sensitive fault tests flaky.
    maxWorkers: 2,
    pool: 'forks',
  },
});
