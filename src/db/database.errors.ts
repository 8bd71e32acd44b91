import { defineErrors } from '../shared/error-registry.js';

/** Stable error codes of the database layer; they reach the log and the commands' output, not clients. */
export const DatabaseError = defineErrors('database', {
  STALLED: { code: 'ERR_DATABASE_STALLED' },
  NO_HOST: { code: 'ERR_DATABASE_NO_HOST' },
  MIGRATION_FAILED: { code: 'ERR_MIGRATION_FAILED' },
});
