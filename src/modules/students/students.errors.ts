import { AppError, type FieldError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { ErrorCode } from '../../shared/error-codes.js';

/** Stable error codes of the students module. */
export const StudentError = defineErrors('students', {
  NOT_FOUND: { code: 'ERR_STUDENT_NOT_FOUND', status: 404, meaning: "No student with this id in the caller's tenant." },
  CPF_TAKEN: { code: 'ERR_STUDENT_CPF_TAKEN', status: 409, meaning: 'Another student of the tenant already has this CPF.' },
});

/** No student with this id in the caller's tenant (another tenant's id looks the same). */
export function studentNotFound(id: string): AppError {
  return new AppError(StudentError.NOT_FOUND, 404, `No student with id ${id}.`);
}

/** Another student of the tenant already has this CPF. */
export function cpfTaken(): AppError {
  return new AppError(StudentError.CPF_TAKEN, 409, 'Another student already has this CPF; search for them instead of registering a duplicate.');
}

/** The record breaks a rule the schema cannot express (birth date range, guardian of a minor). */
export function invalidStudent(errors: FieldError[]): AppError {
  return new AppError(
    ErrorCode.VALIDATION,
    400,
    `The student has ${errors.length} invalid field${errors.length === 1 ? '' : 's'}; see errors[] for each one.`,
    { errors },
  );
}
