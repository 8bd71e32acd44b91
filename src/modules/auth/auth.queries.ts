import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { encodeCursor, decodeCursor } from '../../shared/cursor.js';
import type { Role } from '../../shared/principal.js';
import type { Tenant, User } from './auth.schemas.js';

/** The auth module's tables, as Kysely sees them. */
export interface AuthTables {
  tenants: { id: string; slug: string; name: string; created_at: string };
  users: {
    id: string;
    tenant_id: string;
    email: string;
    name: string;
    role: Role;
    active: number;
    password_hash: string;
    /** Bumped to revoke every token signed before (sign-out, password change, deactivation). */
    token_epoch: number;
    /** 1 for a user with the installation role (granted with `robusto user installation-admin`). */
    installation_admin: number;
    created_at: string;
    updated_at: string;
  };
}

type UserRow = AuthTables['users'];

/** Kysely over the auth tables. */
export function authDb(db: Database): Kysely<AuthTables> {
  return db.kysely as Kysely<AuthTables>;
}

/** A user row as the API shows it. */
export function toUser(row: Pick<UserRow, 'id' | 'email' | 'name' | 'role' | 'active' | 'created_at' | 'updated_at'>): User {
  return { id: row.id, email: row.email, name: row.name, role: row.role, active: Boolean(row.active), createdAt: row.created_at, updatedAt: row.updated_at };
}

const USER_COLUMNS = ['id', 'email', 'name', 'role', 'active', 'created_at', 'updated_at'] as const;

/** The tenant with this slug. */
export async function findTenantBySlug(db: Database, slug: string): Promise<Tenant | undefined> {
  return authDb(db).selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirst();
}

/** The tenant with this id. */
export async function findTenant(db: Database, tenantId: string): Promise<Tenant | undefined> {
  return authDb(db).selectFrom('tenants').select(['id', 'slug', 'name']).where('id', '=', tenantId).executeTakeFirst();
}

/** The user signing in, with their password hash; always queries, even without a tenant. */
export async function findLoginUser(db: Database, tenantId: string | undefined, email: string): Promise<UserRow | undefined> {
  return authDb(db)
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId ?? '00000000-0000-0000-0000-000000000000')
    .where('email', '=', email.toLowerCase())
    .executeTakeFirst();
}

/** One user of a tenant. */
export async function findUser(db: Database, tenantId: string, id: string): Promise<User | undefined> {
  const row = await authDb(db).selectFrom('users').select(USER_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return row ? toUser(row) : undefined;
}

/** A user of a tenant by sign-in email, with whether they hold the installation role (the command line's look-up). */
export async function findUserByEmail(db: Database, tenantId: string, email: string): Promise<(User & { installationAdmin: boolean }) | undefined> {
  const row = await authDb(db)
    .selectFrom('users')
    .select([...USER_COLUMNS, 'installation_admin'])
    .where('tenant_id', '=', tenantId)
    .where('email', '=', email.toLowerCase())
    .executeTakeFirst();
  return row ? { ...toUser(row), installationAdmin: Boolean(row.installation_admin) } : undefined;
}

/** A page of a tenant's users, oldest first. */
export async function listUsers(
  db: Database,
  tenantId: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ items: User[]; nextCursor: string | null }> {
  let query = authDb(db).selectFrom('users').select(USER_COLUMNS).where('tenant_id', '=', tenantId);
  if (cursor) {
    const after = decodeCursor(cursor, 'timestamp');
    query = query.where((eb) =>
      eb.or([eb('created_at', '>', String(after.value)), eb.and([eb('created_at', '=', String(after.value)), eb('id', '>', after.id)])]),
    );
  }
  const rows = await query
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(toUser);
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor({ value: last.created_at, id: last.id }) : null };
}

/** How many users exist in the whole database (0 on a first start). */
export async function countUsers(db: Database): Promise<number> {
  const row = await authDb(db)
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
