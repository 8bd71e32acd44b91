import { defineErrors } from '../shared/error-registry.js';

/** Stable error codes of the database layer; they reach the log and the commands' output, not clients. */
export const DatabaseError = defineErrors('database', {
  STALLED: {
    code: 'ERR_DATABASE_STALLED',
    meaning:
      'Database work abandoned because the database answered nothing, on any connection, for `DB_WRITE_DEADLINE_MS`; its connection was destroyed. A write is journaled (202).',
  },
  MIGRATION_FAILED: {
    code: 'ERR_MIGRATION_FAILED',
    meaning:
      'A migration failed and was rolled back; the message names the owner (`core` or a module) and the migration. That module answers 503 until it is fixed.',
  },
});
