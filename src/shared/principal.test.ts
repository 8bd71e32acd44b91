import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { authRequired, can, operatesInstallation, PERMISSIONS_BY_ROLE, principalOf, ROLES, type Permission, type Principal, type Role } from './principal.js';

const PERMISSIONS: Permission[] = ['read', 'write', 'delete', 'manage_users', 'audit', 'system'];

// The role table as the docs state it: viewers read; staff also write; admins and owners do everything.
const EXPECTED: Record<Role, Permission[]> = {
  viewer: ['read'],
  staff: ['read', 'write'],
  admin: PERMISSIONS,
  owner: PERMISSIONS,
};

function principal(role: Role, installationAdmin: boolean): Principal {
  return { userId: 'u1', tenantId: 't1', role, email: 'a@example.com', tokenEpoch: 0, installationAdmin };
}

describe('can', () => {
  for (const role of ROLES) {
    for (const permission of PERMISSIONS) {
      const allowed = EXPECTED[role].includes(permission);
      it(`${role} ${allowed ? 'has' : 'lacks'} ${permission}`, () => {
        expect(can(role, permission)).toBe(allowed);
      });
    }
  }

  it('lists the roles from most to least powerful', () => {
    expect(ROLES).toEqual(['owner', 'admin', 'staff', 'viewer']);
    expect(Object.keys(PERMISSIONS_BY_ROLE).sort()).toEqual([...ROLES].sort());
  });
});

describe('operatesInstallation', () => {
  it('needs both the installation role and a role that operates the system', () => {
    expect(operatesInstallation(principal('owner', true))).toBe(true);
    expect(operatesInstallation(principal('admin', true))).toBe(true);
  });

  it('is refused to a demoted user who keeps the flag', () => {
    expect(operatesInstallation(principal('staff', true))).toBe(false);
    expect(operatesInstallation(principal('viewer', true))).toBe(false);
  });

  it('is refused to an admin without the installation role', () => {
    expect(operatesInstallation(principal('owner', false))).toBe(false);
    expect(operatesInstallation(principal('admin', false))).toBe(false);
  });
});

describe('principalOf', () => {
  it('returns the principal of an authenticated request', () => {
    const p = principal('staff', false);
    expect(principalOf({ principal: p })).toBe(p);
  });

  it('answers 401 ERR_AUTH_REQUIRED for a request without one', () => {
    let thrown: unknown;
    try {
      principalOf({});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'ERR_AUTH_REQUIRED', status: 401 });
    expect((thrown as AppError).detail).toContain('POST /api/auth/login');
  });

  it('authRequired is the same 401', () => {
    expect(authRequired()).toMatchObject({ code: 'ERR_AUTH_REQUIRED', status: 401 });
  });
});
