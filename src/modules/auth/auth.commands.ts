import type { Kysely } from 'kysely';
import { insertRow } from '../../db/insert-rows.js';
import { isPostgres } from '../../db/sql-types.js';
import { defineCommand, type CommandContext } from '../../resilience/command.js';
import { AppError } from '../../shared/app-error.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { newId } from '../../shared/ids.js';
import { can, type Role } from '../../shared/principal.js';
import { AuthError, installationRoleCliOnly, installationRoleNeedsAdmin, userNotFound } from './auth.errors.js';
import { toUser, type AuthTables } from './auth.queries.js';
import type { Tenant, User } from './auth.schemas.js';
import { text } from '../../shared/i18n/translate.js';

/**
 * The role of the user running a command, as the database has it now: a write replayed from the
 * journal runs after its author's role may have changed, so the role sent with it is not trusted.
 * The system's own writes (no user) keep the role they were given.
 */
async function actorRoleNow(db: Kysely<AuthTables>, ctx: CommandContext, sent: Role | 'system'): Promise<Role | 'system'> {
  if (!ctx.userId) return sent;
  const row = await db.selectFrom('users').select('role').where('tenant_id', '=', ctx.tenantId).where('id', '=', ctx.userId).executeTakeFirst();
  if (!row) throw userNotFound(ctx.userId);
  return row.role;
}

/** Tells whether the tenant has an active owner other than `userId`. */
async function hasAnotherActiveOwner(db: Kysely<AuthTables>, tenantId: string, userId: string): Promise<boolean> {
  const other = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('role', '=', 'owner')
    .where('active', '=', 1)
    .where('id', '<>', userId)
    .limit(1)
    .executeTakeFirst();
  return other !== undefined;
}

/** Payload of {@link createTenant}. */
export interface CreateTenant {
  id: string;
  slug: string;
  name: string;
}

/** Creates a tenant (CLI, first start). */
export const createTenant = defineCommand<CreateTenant, Tenant, AuthTables>({
  name: 'auth.create_tenant',
  permission: 'system',
  version: 1,
  conflicts: [
    {
      table: 'tenants',
      columns: ['slug'],
      error: (p) => new AppError(AuthError.TENANT_SLUG_TAKEN, 409, text('auth.tenantSlugTaken', { slug: p.slug })),
    },
  ],
  async handler(tx, payload, ctx) {
    await insertRow(tx, 'tenants', { id: payload.id, slug: payload.slug, name: payload.name, created_at: ctx.now });
    return { status: 201, body: { id: payload.id, slug: payload.slug, name: payload.name }, entity: 'tenant', entityId: payload.id };
  },
});

/** Payload of {@link createUser}: the password arrives already hashed. */
export interface CreateUser {
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  /** Role of whoever creates it; only an owner may create an owner. */
  actorRole: Role | 'system';
  /**
   * Gives the new user the installation role: honoured only for the system's own writes (first
   * start, the command line), never for a user's request.
   */
  installationAdmin?: boolean;
}

/** Creates a user in the caller's tenant. */
export const createUser = defineCommand<CreateUser, User, AuthTables>({
  name: 'auth.create_user',
  permission: 'manage_users',
  secretFields: ['passwordHash'],
  version: 1,
  conflicts: [
    {
      table: 'users',
      columns: ['tenant_id', 'email'],
      error: (p) => new AppError(AuthError.USER_EMAIL_TAKEN, 409, text('auth.userEmailTaken', { email: p.email })),
    },
  ],
  async handler(tx, payload, ctx) {
    const actorRole = await actorRoleNow(tx, ctx, payload.actorRole);
    if (payload.role === 'owner' && actorRole !== 'owner' && actorRole !== 'system') {
      throw new AppError(AuthError.USER_OWNER_ONLY, 403, text('auth.ownerCreatesOwner'));
    }
    const row = {
      id: newId(),
      tenant_id: ctx.tenantId,
      email: payload.email.toLowerCase(),
      name: payload.name,
      role: payload.role,
      active: 1,
      password_hash: payload.passwordHash,
      token_epoch: 0,
      installation_admin: payload.installationAdmin === true && ctx.userId === null ? 1 : 0,
      created_at: ctx.now,
      updated_at: ctx.now,
    };
    await insertRow(tx, 'users', row);
    return { status: 201, body: toUser(row), entity: 'user', entityId: row.id };
  },
});

/** Payload of {@link updateUser}. */
export interface UpdateUser {
  id: string;
  role?: Role;
  active?: boolean;
  name?: string;
  passwordHash?: string;
  actor: { userId: string; role: Role };
}

/** Changes a user's role, name, password or active flag, guarding owners and self-lockout. */
export const updateUser = defineCommand<UpdateUser, User, AuthTables>({
  name: 'auth.update_user',
  permission: 'manage_users',
  changesRights: true,
  secretFields: ['passwordHash'],
  version: 1,
  async handler(tx, payload, ctx) {
    // Changes to one tenant's users apply one after the other (on PostgreSQL the tenant's row is
    // locked first; SQLite has one writer at a time), so what is read below is what others committed.
    await tx
      .selectFrom('tenants')
      .select('id')
      .where('id', '=', ctx.tenantId)
      .$if(isPostgres(tx), (q) => q.forUpdate())
      .execute();
    const current = await tx.selectFrom('users').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).executeTakeFirst();
    if (!current) throw userNotFound(payload.id);
    const touchesOwner = current.role === 'owner' || payload.role === 'owner';
    if (touchesOwner && (await actorRoleNow(tx, ctx, payload.actor.role)) !== 'owner') {
      throw new AppError(AuthError.USER_OWNER_ONLY, 403, text('auth.ownerChangesOwner'));
    }
    if (payload.id === payload.actor.userId && (payload.active === false || (payload.role !== undefined && payload.role !== current.role))) {
      throw new AppError(AuthError.USER_SELF_LOCKOUT, 409, text('auth.selfLockout'));
    }
    const stopsBeingOwner =
      current.role === 'owner' && current.active === 1 && ((payload.role !== undefined && payload.role !== 'owner') || payload.active === false);
    if (stopsBeingOwner && !(await hasAnotherActiveOwner(tx, ctx.tenantId, payload.id))) {
      throw new AppError(AuthError.TENANT_LAST_OWNER, 409, text('auth.lastOwner'));
    }
    // A new password or a deactivation revokes every token signed before.
    const revokes = payload.passwordHash !== undefined || payload.active === false;
    const changes = {
      ...(revokes ? { token_epoch: current.token_epoch + 1 } : {}),
      ...(payload.role !== undefined ? { role: payload.role } : {}),
      ...(payload.active !== undefined ? { active: payload.active ? 1 : 0 } : {}),
      ...(payload.name !== undefined ? { name: payload.name } : {}),
      ...(payload.passwordHash !== undefined ? { password_hash: payload.passwordHash } : {}),
      updated_at: ctx.now,
    };
    await tx.updateTable('users').set(changes).where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.id).execute();
    return { status: 200, body: toUser({ ...current, ...changes }), entity: 'user', entityId: payload.id };
  },
});

/**
 * Signs the calling user out of every session: bumps their token epoch, so every token signed
 * before is refused (within the principal cache's lifetime on other processes).
 */
export const signOut = defineCommand<Record<string, never>, { signedOut: true }, AuthTables>({
  name: 'auth.sign_out',
  permission: 'read',
  changesRights: true,
  version: 1,
  async handler(tx, _payload, ctx) {
    if (!ctx.userId) throw new AppError(ErrorCode.AUTH_REQUIRED, 401, text('auth.signOutNeedsUser'));
    const updated = await tx
      .updateTable('users')
      .set((eb) => ({ token_epoch: eb('token_epoch', '+', 1), updated_at: ctx.now }))
      .where('tenant_id', '=', ctx.tenantId)
      .where('id', '=', ctx.userId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw userNotFound(ctx.userId);
    return { status: 200, body: { signedOut: true }, entity: 'user', entityId: ctx.userId };
  },
});

/** Payload of {@link setInstallationAdmin}. */
export interface SetInstallationAdmin {
  userId: string;
  /** True grants the installation role, false revokes it. */
  granted: boolean;
}

/**
 * Grants or revokes a user's installation role (the command line only: no user can grant it,
 * not even one who has it). The user keeps their sessions: every process reads the role again
 * within the principal cache's lifetime, as after a change of role.
 */
export const setInstallationAdmin = defineCommand<SetInstallationAdmin, User & { installationAdmin: boolean }, AuthTables>({
  name: 'auth.set_installation_admin',
  permission: 'system',
  changesRights: true,
  version: 1,
  async handler(tx, payload, ctx) {
    if (ctx.userId !== null) throw installationRoleCliOnly();
    const current = await tx.selectFrom('users').selectAll().where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.userId).executeTakeFirst();
    if (!current) throw userNotFound(payload.userId);
    if (payload.granted && !can(current.role, 'system')) throw installationRoleNeedsAdmin(current.email, current.role);
    const changes = { installation_admin: payload.granted ? 1 : 0, updated_at: ctx.now };
    await tx.updateTable('users').set(changes).where('tenant_id', '=', ctx.tenantId).where('id', '=', payload.userId).execute();
    return { status: 200, body: { ...toUser({ ...current, ...changes }), installationAdmin: payload.granted }, entity: 'user', entityId: payload.userId };
  },
});
