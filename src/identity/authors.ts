import type { Database } from '../db/database.js';
import { type AuthorCheck } from '../resilience/command.js';
import { AppError } from '../shared/app-error.js';
import { can } from '../shared/principal.js';
import { usersOf } from './principal-row.js';
import { WriteError } from '../resilience/write-errors.js';

/**
 * The check the replayer runs before applying journaled writes: their authors as the database
 * has them now (active, role, token epoch), one read for all of them. A write is refused when its
 * author is gone or deactivated, when the token it came with was revoked since (a sign-out or a
 * password change), or when their role no longer has the command's permission. The system's own
 * writes (no user) always pass.
 */
export function replayAuthorCheck(db: Database): AuthorCheck {
  return async (entries) => {
    const ids = [...new Set(entries.flatMap((e) => (e.userId ? [e.userId] : [])))];
    const rows =
      ids.length === 0
        ? []
        : await usersOf(db).selectFrom('users').select(['id', 'tenant_id', 'email', 'role', 'active', 'token_epoch']).where('id', 'in', ids).execute();
    const users = new Map(rows.map((row) => [row.id, row]));
    return (entry, command) => {
      if (!entry.userId) return undefined;
      const permission = command.permission ?? 'write';
      const user = users.get(entry.userId);
      const refuse = (reason: string, why: string) =>
        new AppError(
          WriteError.REPLAY_FORBIDDEN,
          403,
          `Not applied: the user who sent it (${user?.email || entry.userId}) ${why}. It needs the "${permission}" permission.`,
          {
            extensions: { userId: entry.userId, permission, reason },
          },
        );
      if (!user || user.tenant_id !== entry.tenantId) return refuse('user-gone', 'no longer exists in this tenant');
      if (!user.active) return refuse('deactivated', 'was deactivated after sending it');
      if (entry.tokenEpoch !== null && entry.tokenEpoch < Number(user.token_epoch)) {
        return refuse('token-revoked', 'signed out, or had the password changed, after the token that sent it was issued: that token was revoked');
      }
      if (!can(user.role, permission)) return refuse('role', `now has the role "${user.role}", which lacks that permission`);
      return undefined;
    };
  };
}
