import { statSync } from 'node:fs';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Smallest test files first (vitest's default runs the largest first): Stryker stops at a
 * mutant's first failing test, and the small files are the fast unit tests, so a mutant they
 * kill costs a second instead of a whole integration suite.
 */
class SmallestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const size = (spec: TestSpecification) => statSync(spec.moduleId).size;
    return [...files].sort((a, b) => size(a) - size(b));
  }
}

/**
 * The tests `npm run test:mutation` runs against each mutant: only tests that import `src/`
 * in-process. Tests that run the built `dist/` (test/e2e, anything calling spawnRobusto) cannot
 * see a mutant of `src/`, and the fault tests that start processes of their own (a private
 * PostgreSQL, a small mounted disk) are too slow to rerun per mutant; `npm test` runs them all.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/{db,http,modules,ops,resilience}/**/*.test.ts'],
    exclude: [
      ...configDefaults.exclude,
      '.stryker-tmp/**',
      // A private PostgreSQL server per suite (initdb, pg_ctl).
      'test/db/write-deadline.test.ts',
      'test/resilience/postgres-restart.test.ts',
      'test/resilience/postgres-stall.test.ts',
      // Run the built CLI from dist/ (spawnRobusto) or mount a small disk.
      'test/resilience/command-versions.test.ts',
      'test/resilience/dead-letter-secrets.test.ts',
      'test/resilience/journal-disk-full.test.ts',
      // Backups: slow, and outside the mutated code.
      'test/ops/backup*.test.ts',
      'test/ops/verified-backup.test.ts',
      'test/ops/alerts.test.ts',
    ],
    setupFiles: ['test/support/strict-throw.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    sequence: { sequencer: SmallestFirst },
  },
});
