import { createTenant, createUser, hashPassword, setInstallationAdmin } from '../../src/modules/auth/index.js';
import { newId } from '../../src/shared/ids.js';
import { ROLES, type Role } from '../../src/shared/principal.js';
import type { TestApp } from './build-app.js';

/** The password of every user {@link createTenantWithUsers} makes. */
export const TEST_PASSWORD = 'correct-horse-battery';

/** A tenant with one user per role, and a signed token for each. */
export interface TestTenant {
  id: string;
  slug: string;
  userIds: Record<Role, string>;
  tokens: Record<Role, string>;
  /** `{ authorization: 'Bearer …' }` for a role. */
  as(role: Role): { authorization: string };
}

/**
 * Creates a tenant and one user per role (`<role>@<slug>.test`) through the real commands, and
 * signs a token for each with the app's own token service (login itself is tested apart).
 */
export async function createTenantWithUsers(t: TestApp, slug: string): Promise<TestTenant> {
  const id = newId();
  const meta = { tenantId: id, userId: null, requestId: `test-${slug}`, fingerprint: 'test' };
  await t.app.dispatcher.dispatch(createTenant, { id, slug, name: `Tenant ${slug}` }, meta);
  const passwordHash = await hashPassword(TEST_PASSWORD);
  const { tokens: tokenService } = t.app.identity;
  const userIds = {} as Record<Role, string>;
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const result = await t.app.dispatcher.dispatch(
      createUser,
      { email: `${role}@${slug}.test`, name: `${role} of ${slug}`, role, passwordHash, actorRole: 'system' },
      meta,
    );
    userIds[role] = (result.body as { id: string }).id;
    tokens[role] = tokenService.sign({ sub: userIds[role], tid: id, role, ep: 0 }).token;
  }
  return { id, slug, userIds, tokens, as: (role) => ({ authorization: `Bearer ${tokens[role]}` }) };
}

/**
 * Grants (or with `granted: false` revokes) the installation role to a tenant's user of `role`,
 * through the command `robusto user installation-admin` runs; this process sees it at once.
 */
export async function setInstallationRole(t: TestApp, tenant: TestTenant, role: Role, granted = true): Promise<void> {
  const userId = tenant.userIds[role];
  await t.app.dispatcher.dispatch(
    setInstallationAdmin,
    { userId, granted },
    { tenantId: tenant.id, userId: null, requestId: `test-${tenant.slug}-installation`, fingerprint: 'test' },
  );
  t.app.identity.principals.forget(userId);
}
