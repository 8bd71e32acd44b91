import { defineErrors } from '../shared/error-registry.js';

/** Stable error codes of the database layer; they reach the log and the commands' output, not clients. */
export const DatabaseError = defineErrors('database', {
  STALLED: {
    code: 'ERR_DATABASE_STALLED',
    meaning:
      'Database work abandoned because the database answered nothing, on any connection, for `DB_WRITE_DEADLINE_MS`; its connection was destroyed. A write is journaled (202).',
  },
  NO_HOST: {
    code: 'ERR_DATABASE_NO_HOST',
    meaning:
      'No host `DATABASE_URL` lists accepted a connection of the kind its `target_session_attrs` asks (a primary for `read-write`): as during a failover, before a standby is promoted. A write is journaled (202); each new connection tries the hosts again.',
  },
  MIGRATION_FAILED: {
    code: 'ERR_MIGRATION_FAILED',
    meaning:
      'A migration failed and was rolled back; the message names the owner (`core` or a module) and the migration. That module answers 503 until it is fixed.',
  },
});
