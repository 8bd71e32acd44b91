import { AppError, type FieldError } from '../../shared/app-error.js';
import { defineErrors } from '../../shared/error-registry.js';
import { ErrorCode } from '../../shared/error-codes.js';
import { countedText, text } from '../../shared/i18n/translate.js';

/** Stable error codes of the students module. */
export const StudentError = defineErrors('students', {
  NOT_FOUND: { code: 'ERR_STUDENT_NOT_FOUND', status: 404 },
  CPF_TAKEN: { code: 'ERR_STUDENT_CPF_TAKEN', status: 409 },
});

/** No student with this id in the caller's tenant (another tenant's id looks the same). */
export function studentNotFound(id: string): AppError {
  return new AppError(StudentError.NOT_FOUND, 404, text('students.notFound', { id }));
}

/** Another student of the tenant already has this CPF. */
export function cpfTaken(): AppError {
  return new AppError(StudentError.CPF_TAKEN, 409, text('students.cpfTaken'));
}

/** The record breaks a rule the schema cannot express (birth date range, guardian of a minor). */
export function invalidStudent(errors: FieldError[]): AppError {
  return new AppError(ErrorCode.VALIDATION, 400, countedText('students.invalid', errors.length), { errors });
}
