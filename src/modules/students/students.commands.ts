import type { Transaction } from 'kysely';
import { insertRow, insertRows } from '../../db/insert-rows.js';
import { isPostgres } from '../../db/sql-types.js';
import { defineCommand, type CommandContext } from '../../resilience/command.js';
import type { FieldError } from '../../shared/app-error.js';
import { onlyDigits } from '../../shared/documents.js';
import { newId } from '../../shared/ids.js';
import { cpfTaken, invalidStudent, studentNotFound } from './students.errors.js';
import { searchable } from '../../shared/text.js';
import { toStudent, type StudentRow, type StudentsTables } from './students.queries.js';
import type { RegisterStudentBody, Student, UpdateStudentBody } from './students.schemas.js';
import { text } from '../../shared/i18n/translate.js';

/** The earliest birth date a student may have. */
export const EARLIEST_BIRTH_DATE = '1900-01-01';
/** The age from which a student needs no guardian. */
export const ADULT_AGE = 18;

/** The calendar day (UTC) of an ISO 8601 instant such as a command's `ctx.now`. */
function dayOf(instant: string): string {
  return instant.slice(0, 10);
}

/**
 * Tells whether someone born on `birthDate` is under {@link ADULT_AGE} on `day` (both
 * `YYYY-MM-DD`). Someone born on 29 February comes of age on 1 March in a common year.
 */
export function isMinorOn(birthDate: string, day: string): boolean {
  const adultOn = `${String(Number(birthDate.slice(0, 4)) + ADULT_AGE).padStart(4, '0')}${birthDate.slice(4)}`;
  return adultOn > day;
}

/** The fields of a student the rules below look at. */
export interface StudentFacts {
  birthDate: string;
  guardianName: string | null;
}

/**
 * Checks the rules the schema cannot express: the birth date is from {@link EARLIEST_BIRTH_DATE}
 * to `today`, and a student under 18 on `registeredOn` has a guardian. Pure (dates come in as
 * arguments), so a write can be checked before it is journaled as well as when it is applied.
 *
 * @throws {AppError} 400 `ERR_VALIDATION` listing each broken field.
 */
export function checkStudent(student: StudentFacts, today: string, registeredOn: string): void {
  const errors: FieldError[] = [];
  if (student.birthDate < EARLIEST_BIRTH_DATE)
    errors.push({ in: 'body', field: '/birthDate', message: text('students.field.birthDateTooEarly', { earliest: EARLIEST_BIRTH_DATE }) });
  else if (student.birthDate > today) errors.push({ in: 'body', field: '/birthDate', message: text('students.field.birthDateInFuture', { today }) });
  else if (student.guardianName === null && isMinorOn(student.birthDate, registeredOn)) {
    errors.push({ in: 'body', field: '/guardianName', message: text('students.field.guardianRequired', { age: ADULT_AGE, registeredOn }) });
  }
  if (errors.length > 0) throw invalidStudent(errors);
}

const conflicts = [{ table: 'students', columns: ['tenant_id', 'cpf'], error: cpfTaken }];

/** The row a registration inserts, checked (a minor needs a guardian, no birth in the future). */
function registrationRow(payload: RegisterStudentBody, ctx: CommandContext): StudentRow {
  const today = dayOf(ctx.now);
  const guardianName = payload.guardianName?.trim() ?? null;
  checkStudent({ birthDate: payload.birthDate, guardianName }, today, today);
  const name = payload.name.trim();
  return {
    id: newId(),
    tenant_id: ctx.tenantId,
    name,
    name_search: searchable(name),
    cpf: payload.cpf === undefined ? null : onlyDigits(payload.cpf),
    birth_date: payload.birthDate,
    phone: payload.phone ?? null,
    email: payload.email?.toLowerCase() ?? null,
    guardian_name: guardianName,
    plan: payload.plan.trim(),
    status: 'active',
    created_at: ctx.now,
    updated_at: ctx.now,
  };
}

/**
 * Registers a student. Registrations journaled while the database was down are replayed in bulk
 * (`handleMany`: one INSERT per run of them), so the journal drains quickly.
 */
export const registerStudent = defineCommand<RegisterStudentBody, Student, StudentsTables>({
  name: 'students.register',
  version: 1,
  conflicts,
  async handler(tx, payload, ctx) {
    const row = registrationRow(payload, ctx);
    await insertRow(tx, 'students', row);
    return { status: 201, body: toStudent(row), entity: 'student', entityId: row.id };
  },
  async handleMany(tx, items) {
    const rows = items.map(({ payload, ctx }) => registrationRow(payload, ctx));
    await insertRows(tx, 'students', rows).execute();
    return rows.map((row) => ({ status: 201 as const, body: toStudent(row), entity: 'student', entityId: row.id }));
  },
});

/**
 * The student `id` of the caller's tenant, read for a change: on PostgreSQL the row stays locked
 * until the transaction ends, so concurrent changes apply one after the other (SQLite has one
 * writer at a time anyway).
 */
async function currentStudent(tx: Transaction<StudentsTables>, tenantId: string, id: string): Promise<StudentRow> {
  const current = await tx
    .selectFrom('students')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id.toLowerCase())
    .$if(isPostgres(tx), (q) => q.forUpdate())
    .executeTakeFirst();
  if (!current) throw studentNotFound(id);
  return current;
}

/** Payload of {@link updateStudent}: the body plus the student's id. */
export type UpdateStudent = UpdateStudentBody & { id: string };

/** Changes a student's fields (not the status); the guardian rule is checked on the result. */
export const updateStudent = defineCommand<UpdateStudent, Student, StudentsTables>({
  name: 'students.update',
  version: 1,
  conflicts,
  async handler(tx, payload, ctx) {
    const current = await currentStudent(tx, ctx.tenantId, payload.id);
    const name = payload.name?.trim() ?? current.name;
    const changes = {
      name,
      name_search: searchable(name),
      cpf: payload.cpf === undefined ? current.cpf : payload.cpf === null ? null : onlyDigits(payload.cpf),
      birth_date: payload.birthDate ?? current.birth_date,
      phone: payload.phone === undefined ? current.phone : payload.phone,
      email: payload.email === undefined ? current.email : (payload.email?.toLowerCase() ?? null),
      guardian_name: payload.guardianName === undefined ? current.guardian_name : (payload.guardianName?.trim() ?? null),
      plan: payload.plan?.trim() ?? current.plan,
      updated_at: ctx.now,
    };
    // The rule speaks of the registration date, which is the record's, not today's.
    checkStudent({ birthDate: changes.birth_date, guardianName: changes.guardian_name }, dayOf(ctx.now), dayOf(current.created_at));
    await tx.updateTable('students').set(changes).where('tenant_id', '=', ctx.tenantId).where('id', '=', current.id).execute();
    return { status: 200, body: toStudent({ ...current, ...changes }), entity: 'student', entityId: current.id };
  },
});

/** Marks a student `inactive`; deactivating an inactive student changes nothing and answers it. */
export const deactivateStudent = defineCommand<{ id: string }, Student, StudentsTables>({
  name: 'students.deactivate',
  version: 1,
  async handler(tx, payload, ctx) {
    const current = await currentStudent(tx, ctx.tenantId, payload.id);
    if (current.status === 'inactive') return { status: 200, body: toStudent(current), entity: 'student', entityId: current.id };
    const changes = { status: 'inactive' as const, updated_at: ctx.now };
    await tx.updateTable('students').set(changes).where('tenant_id', '=', ctx.tenantId).where('id', '=', current.id).execute();
    return { status: 200, body: toStudent({ ...current, ...changes }), entity: 'student', entityId: current.id };
  },
});
