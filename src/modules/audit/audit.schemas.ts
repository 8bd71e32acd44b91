import { Type, type Static } from '@sinclair/typebox';
import { PageQuery, Uuid } from '../../shared/schemas.js';

// Entity and action names are identifiers (`student`, `students.register`); anything else matches nothing.
const Identifier = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9_.:-]+$' });
const Instant = Type.String({ format: 'date-time', maxLength: 40, examples: ['2026-03-01T00:00:00Z'] });

/** One row of the audit trail as the API shows it. */
export const AuditEntrySchema = Type.Object(
  {
    id: Uuid(),
    userId: Type.Union([Uuid(), Type.Null()], { description: 'null for writes made by the system (CLI, first start)' }),
    action: Type.String({ description: 'the command, e.g. students.register', examples: ['students.register'] }),
    entity: Type.String({ examples: ['student'] }),
    entityId: Type.String(),
    requestId: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'AuditEntry' },
);
/** One audit row. */
export type AuditEntry = Static<typeof AuditEntrySchema>;

/** `GET /api/audit` query: every filter optional; `from` and `to` are inclusive. */
export const ListAuditQuery = Type.Object(
  {
    ...PageQuery,
    entity: Type.Optional(Identifier(50)),
    action: Type.Optional(Identifier(100)),
    // The plain 36-character form: PostgreSQL refuses the `urn:uuid:` one the format allows.
    userId: Type.Optional(Uuid()),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
  },
  { additionalProperties: false },
);
/** List parameters. */
export type ListAuditQuery = Static<typeof ListAuditQuery>;
