// Lint rules of robusto: typescript-eslint's recommended rules with type information (a promise
// nobody awaits or handles is an error), run by `npm run lint` as part of `npm test`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'reports/', '.stryker-tmp/', 'test/fixtures/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Fastify route handlers, hooks and module callbacks are async by contract (Fastify reads a
      // returned promise, not a callback): one without an await is not a mistake.
      '@typescript-eslint/require-await': 'off',
      // A variable a closure reads before its one assignment (a gauge set by another's collect).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Passing a caught value through unchanged (a retry policy, a deadline) is not inventing one.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    // A function of src/ runs at most 60 lines (blank lines and comments aside); a longer one says
    // why beside it: `// eslint-disable-next-line max-lines-per-function -- <reason>`. Tests are
    // not held to it: a describe block holds its cases.
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Tests read JSON bodies, which are `any` by nature; their assertions type-check them.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // `response.json() as Page` states what the test expects the body to be.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Kysely's advice: a migration sees the schema as it was when written, not today's types.
    files: ['**/*.migrations.ts', 'src/db/migrations/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  { files: ['**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
);
