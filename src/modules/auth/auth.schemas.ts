import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../../shared/principal.js';
import { Email, Line, Uuid } from '../../shared/schemas.js';

/** A role name. */
export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

const Password = Type.String({ minLength: 8, maxLength: 200, description: 'at least 8 characters' });

/** A user as the API shows it (never with its password hash). */
export const UserSchema = Type.Object({
  id: Uuid(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
/** A user. */
export type User = Static<typeof UserSchema>;

/** A tenant as the API shows it. */
export const TenantSchema = Type.Object({ id: Uuid(), slug: Type.String(), name: Type.String() });
/** A tenant. */
export type Tenant = Static<typeof TenantSchema>;

/** `POST /api/auth/login` body. */
export const LoginBody = Type.Object(
  { tenant: Line(50), email: Type.String({ minLength: 3, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false, examples: [{ tenant: 'padaria-central', email: 'ana.lima@example.com.br', password: 'correct-horse-battery' }] },
);
/** Login credentials. */
export type LoginBody = Static<typeof LoginBody>;

/** `POST /api/auth/login` answer. */
export const LoginResponse = Type.Object({
  token: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
  user: Type.Intersect([UserSchema, Type.Object({ tenant: TenantSchema })]),
});

/** `GET /api/auth/me` answer: the user, their tenant, and whether they hold the installation role. */
export const MeResponse = Type.Intersect([
  UserSchema,
  Type.Object({
    tenant: TenantSchema,
    installationAdmin: Type.Boolean({
      description: "holds the installation role: operates backups, restarts, jobs and every tenant's figures (granted with robusto user installation-admin)",
    }),
  }),
]);

/** `POST /api/auth/users` body. */
export const CreateUserBody = Type.Object(
  { email: Email, name: Line(200), role: RoleSchema, password: Password },
  { additionalProperties: false, examples: [{ email: 'carla.souza@example.com.br', name: 'Carla Souza', role: 'staff', password: 'pao-de-queijo-quentinho' }] },
);
/** A new user. */
export type CreateUserBody = Static<typeof CreateUserBody>;

/** `PATCH /api/auth/users/:id` body: any of role, active, name, password. */
export const UpdateUserBody = Type.Object(
  { role: Type.Optional(RoleSchema), active: Type.Optional(Type.Boolean()), name: Type.Optional(Line(200)), password: Type.Optional(Password) },
  { additionalProperties: false, minProperties: 1, examples: [{ role: 'admin' }] },
);
/** Changes to a user. */
export type UpdateUserBody = Static<typeof UpdateUserBody>;

/** A tenant slug: lower-case letters, digits and hyphens. */
export const SlugSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,49}$', examples: ['padaria-central'] });
