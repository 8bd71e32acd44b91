import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Role } from '../shared/principal.js';

/** The columns of the auth module's `users` table that identity reads (the module owns the table and its migrations). */
export interface IdentityTables {
  users: { id: string; tenant_id: string; role: Role; email: string; active: number; token_epoch: number; installation_admin: number };
}

/** The database as identity reads it: the users' rights. */
export function usersOf(db: Database): Kysely<IdentityTables> {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-return -- the database handle is untyped; each owner reads it through its own tables' type
  return db.kysely;
}

/** What is needed to turn a token into a principal: is the user still there, active, with which role, installation role and token epoch. */
export async function findPrincipalRow(db: Database, tenantId: string, userId: string) {
  return usersOf(db)
    .selectFrom('users')
    .select(['id', 'tenant_id', 'role', 'email', 'active', 'token_epoch', 'installation_admin'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .executeTakeFirst();
}
