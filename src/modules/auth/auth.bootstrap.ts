import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { uniqueViolationOf } from '../../db/unique-violation.js';
import { newId } from '../../shared/ids.js';
import type { ModuleContext } from '../module.js';
import { createTenant, createUser } from './auth.commands.js';
import { generatePassword, hashPassword } from './auth.passwords.js';
import { AuthError } from './auth.errors.js';
import { countUsers, findTenantBySlug } from './auth.queries.js';

/** Slug of the tenant made on a first start. */
export const DEFAULT_TENANT_SLUG = 'default';
/** Email of the owner made on a first start. */
export const INITIAL_ADMIN_EMAIL = 'admin@localhost';
/** File, in `DATA_DIR`, holding the first owner's password. */
export const INITIAL_ADMIN_FILE = 'initial-admin.txt';

/**
 * On a first start (no user at all), creates tenant `default` and its owner `admin@localhost`,
 * who also holds the installation role (see `robusto user installation-admin`), with a random
 * password written to `DATA_DIR/initial-admin.txt` (mode 0600). The log says where the file is,
 * never the password. Safe when several instances start at once: the one
 * that loses the race on the tenant's slug does nothing.
 */
export async function createInitialOwner(ctx: ModuleContext): Promise<void> {
  if ((await countUsers(ctx.db)) > 0) return;
  // Each step is safe to repeat, so a crash or a lost connection between them is repaired by
  // the next attempt instead of leaving a tenant without an owner.
  let tenant = await findTenantBySlug(ctx.db, DEFAULT_TENANT_SLUG);
  if (!tenant) {
    const id = newId();
    try {
      await ctx.dispatch(createTenant, { id, slug: DEFAULT_TENANT_SLUG, name: 'Default' }, systemMeta(id));
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    tenant = await findTenantBySlug(ctx.db, DEFAULT_TENANT_SLUG);
    if (!tenant) throw new Error(`tenant "${DEFAULT_TENANT_SLUG}" was neither created nor found`);
  }
  const password = generatePassword();
  try {
    await ctx.dispatch(
      createUser,
      {
        email: INITIAL_ADMIN_EMAIL,
        name: 'Administrator',
        role: 'owner',
        passwordHash: await hashPassword(password),
        actorRole: 'system',
        installationAdmin: true,
      },
      systemMeta(tenant.id),
    );
  } catch (error) {
    // Another instance starting at the same moment created it (and wrote its own file).
    if (isConflict(error)) return;
    throw error;
  }
  const file = path.join(ctx.config.paths.dataDir, INITIAL_ADMIN_FILE);
  writeFileSync(
    file,
    `robusto's first account (created ${new Date().toISOString()})\n\ntenant:   ${DEFAULT_TENANT_SLUG}\nemail:    ${INITIAL_ADMIN_EMAIL}\npassword: ${password}\n\n` +
      'Sign in with POST /api/auth/login, create your own users, then delete this file.\n',
    { mode: 0o600 },
  );
  ctx.log.warn({ file, tenant: DEFAULT_TENANT_SLUG, email: INITIAL_ADMIN_EMAIL }, 'first start: created the owner account; its password is in the file');
}

function systemMeta(tenantId: string) {
  return { tenantId, userId: null, requestId: `bootstrap-${tenantId}`, fingerprint: '' };
}

function isConflict(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return uniqueViolationOf(error) !== undefined || code === AuthError.TENANT_SLUG_TAKEN || code === AuthError.USER_EMAIL_TAKEN;
}
