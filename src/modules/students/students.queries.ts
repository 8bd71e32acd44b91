import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { likeEscaped } from '../../db/like.js';
import { KeysetList, orderOf, type Page } from '../../db/keyset.js';
import { escapeLike, searchable } from '../../shared/text.js';
import { formatCpf, onlyDigits } from '../../shared/documents.js';
import type { ListStudentsQuery, Student, StudentStatus } from './students.schemas.js';

/** The students table as Kysely sees it. */
export interface StudentsTables {
  students: {
    id: string;
    tenant_id: string;
    name: string;
    /** Lower-case, accent-free name: what search and sorting use, the same on both engines. */
    name_search: string;
    /** 11 digits, or null when the student has none (yet). */
    cpf: string | null;
    /** `YYYY-MM-DD`. */
    birth_date: string;
    phone: string | null;
    email: string | null;
    guardian_name: string | null;
    plan: string;
    status: StudentStatus;
    created_at: string;
    updated_at: string;
  };
}

/** One students row. */
export type StudentRow = StudentsTables['students'];

/** The columns {@link toStudent} reads. */
export const STUDENT_COLUMNS = ['id', 'name', 'cpf', 'birth_date', 'phone', 'email', 'guardian_name', 'plan', 'status', 'created_at'] as const;

/** What {@link toStudent} needs of a row. */
export type StudentFields = Pick<StudentRow, (typeof STUDENT_COLUMNS)[number]>;

/** Kysely over the students table. */
export function studentsDb(db: Database): Kysely<StudentsTables> {
  return db.kysely as Kysely<StudentsTables>;
}

/** A row as the API shows it: the CPF formatted, camelCase. */
export function toStudent(row: StudentFields): Student {
  return {
    id: row.id,
    name: row.name,
    cpf: row.cpf === null ? null : formatCpf(row.cpf),
    birthDate: row.birth_date,
    phone: row.phone,
    email: row.email,
    guardianName: row.guardian_name,
    plan: row.plan,
    status: row.status,
    createdAt: row.created_at,
  };
}

/** One student of a tenant, or undefined (also for another tenant's id). */
export async function findStudent(db: Database, tenantId: string, id: string): Promise<Student | undefined> {
  const row = await studentsDb(db)
    .selectFrom('students')
    .select(STUDENT_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
  return row ? toStudent(row) : undefined;
}

/** What a list of students is filtered by: the tenant, a status, and a search's patterns. */
type StudentFilters = {
  readonly tenantId: string;
  readonly status: StudentStatus | undefined;
  /** `%term%` for the name and email, escaped for LIKE. */
  readonly contains: string | undefined;
  /** `digits%` for the CPF, when the search has at least 3 digits. */
  readonly cpfStartsWith: string | undefined;
};

const studentsList = new KeysetList((db: Kysely<StudentsTables>, f: StudentFilters) => {
  let query = db
    .selectFrom('students')
    .select([...STUDENT_COLUMNS, 'name_search'])
    .where('tenant_id', '=', f.tenantId);
  if (f.status !== undefined) query = query.where('status', '=', f.status);
  if (f.contains !== undefined) {
    const { contains, cpfStartsWith } = f;
    query = query.where((eb) =>
      eb.or([likeEscaped('name_search', contains), likeEscaped('email', contains), ...(cpfStartsWith !== undefined ? [eb('cpf', 'like', cpfStartsWith)] : [])]),
    );
  }
  return query;
});

/**
 * A page of a tenant's students: optional search `q` over name, email and CPF digits, optional
 * `status` filter, keyset pagination on (sort column, id) so pages never skip or repeat rows.
 * Newest first unless `sort` says otherwise.
 */
export async function listStudents(db: Database, tenantId: string, params: ListStudentsQuery): Promise<Page<Student>> {
  const digits = params.q ? onlyDigits(params.q) : '';
  const filters: StudentFilters = {
    tenantId,
    status: params.status,
    contains: params.q ? `%${escapeLike(searchable(params.q))}%` : undefined,
    cpfStartsWith: params.q && digits.length >= 3 ? `${digits}%` : undefined,
  };
  return studentsList.page(
    studentsDb(db),
    filters,
    { order: orderOf(params.sort ?? '-createdAt'), limit: params.limit ?? 20, cursor: params.cursor },
    toStudent,
  );
}
