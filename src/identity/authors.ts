import type { Database } from '../db/database.js';
import { type AuthorCheck } from '../resilience/command.js';
import { AppError } from '../shared/app-error.js';
import { can } from '../shared/principal.js';
import { usersOf } from './principal-row.js';
import { WriteError } from '../resilience/write-errors.js';
import { text, type LocalText } from '../shared/i18n/translate.js';

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
      const refuse = (reason: string, why: LocalText) =>
        new AppError(WriteError.REPLAY_FORBIDDEN, 403, text('writes.replayForbidden', { user: user?.email || String(entry.userId), why, permission }), {
          extensions: { userId: entry.userId, permission, reason },
        });
      if (!user || user.tenant_id !== entry.tenantId) return refuse('user-gone', text('writes.replayForbidden.userGone'));
      if (!user.active) return refuse('deactivated', text('writes.replayForbidden.deactivated'));
      if (entry.tokenEpoch !== null && entry.tokenEpoch < Number(user.token_epoch)) {
        return refuse('token-revoked', text('writes.replayForbidden.tokenRevoked'));
      }
      if (!can(user.role, permission)) return refuse('role', text('writes.replayForbidden.role', { role: user.role }));
      return undefined;
    };
  };
}
