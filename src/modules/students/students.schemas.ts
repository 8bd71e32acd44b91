import { Type, type Static } from '@sinclair/typebox';
import { cpfFromBase } from '../../shared/documents.js';
import { CpfSchema, DateSchema, Email, Line, PageQuery, Phone, SortQuery, Uuid } from '../../shared/schemas.js';

/** Whether a student attends: `active` until deactivated. */
export const StudentStatus = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
/** One of {@link StudentStatus}. */
export type StudentStatus = Static<typeof StudentStatus>;

/** `:id` path parameter: a UUID in its plain 36-character form (the `urn:uuid:` form is refused). */
export const StudentIdParams = Type.Object({ id: Uuid() }, { additionalProperties: false });

/** A student as the API shows it. */
export const StudentSchema = Type.Object(
  {
    id: Uuid(),
    name: Type.String(),
    cpf: Type.Union([Type.String(), Type.Null()], { description: 'formatted CPF, 000.000.000-00' }),
    birthDate: Type.String({ format: 'date' }),
    phone: Type.Union([Type.String(), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    guardianName: Type.Union([Type.String(), Type.Null()]),
    plan: Type.String({ description: 'the class or plan the student is enrolled in' }),
    status: StudentStatus,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Student' },
);
/** A student. */
export type Student = Static<typeof StudentSchema>;

/** `POST /api/students` body. */
export const RegisterStudentBody = Type.Object(
  {
    name: Line(200),
    cpf: Type.Optional(CpfSchema),
    birthDate: DateSchema,
    phone: Type.Optional(Phone),
    email: Type.Optional(Email),
    guardianName: Type.Optional(Type.Union([Line(200), Type.Null()], { description: 'required when the student is under 18 on the registration date' })),
    plan: Line(100),
  },
  {
    additionalProperties: false,
    examples: [
      {
        name: 'Maria Eduarda Oliveira',
        cpf: cpfFromBase('390533447'),
        birthDate: '1994-08-17',
        phone: '(11) 98765-4321',
        email: 'maria.oliveira@example.com.br',
        plan: 'Musculação 3x por semana',
      },
    ],
  },
);
/** A new student. */
export type RegisterStudentBody = Static<typeof RegisterStudentBody>;

/** `PATCH /api/students/:id` body: the fields to change (null clears an optional one); never the status. */
export const UpdateStudentBody = Type.Object(
  {
    name: Type.Optional(Line(200)),
    cpf: Type.Optional(Type.Union([CpfSchema, Type.Null()])),
    birthDate: Type.Optional(DateSchema),
    phone: Type.Optional(Type.Union([Phone, Type.Null()])),
    email: Type.Optional(Type.Union([Email, Type.Null()])),
    guardianName: Type.Optional(Type.Union([Line(200), Type.Null()])),
    plan: Type.Optional(Line(100)),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ plan: 'Pilates 2x por semana', phone: '(11) 97654-3210' }] },
);
/** Changes to a student. */
export type UpdateStudentBody = Static<typeof UpdateStudentBody>;

/** Sort orders of the list: by name or registration, `-` for descending; newest first by default. */
export const StudentSort = SortQuery('-createdAt');

/** `GET /api/students` query. */
export const ListStudentsQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'part of the name, CPF digits or email' }),
    ),
    status: Type.Optional(StudentStatus),
    sort: Type.Optional(StudentSort),
  },
  { additionalProperties: false },
);
/** List parameters. */
export type ListStudentsQuery = Static<typeof ListStudentsQuery>;
