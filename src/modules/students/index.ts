import { deactivateStudent, registerStudent, updateStudent } from './students.commands.js';
import { defineModule } from '../module.js';
import { studentsMigrations } from './students.migrations.js';
import { studentsRoutes } from './students.routes.js';

export { checkStudent, deactivateStudent, registerStudent, updateStudent } from './students.commands.js';
export { findStudent } from './students.queries.js';
export type { Student } from './students.schemas.js';

/**
 * The students module (`/api/students`): registrations with a CPF validated by its check digits
 * and unique per tenant, a guardian required for minors, search, keyset pagination, and
 * deactivation instead of deletion. Every write is a command, so each one is audited.
 */
export default defineModule({
  name: 'students',
  description: 'Registrations of students; a minor needs a guardian.',
  commands: [deactivateStudent, registerStudent, updateStudent],
  migrations: studentsMigrations,
  routes: studentsRoutes,
});
