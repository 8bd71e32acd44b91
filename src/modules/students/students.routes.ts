import type { ModuleContext, ModuleRouter } from '../module.js';
import { deactivateStudentRoute } from './routes/deactivate-student.js';
import { getStudentRoute } from './routes/get-student.js';
import { listStudentsRoute } from './routes/list-students.js';
import { registerStudentRoute } from './routes/register-student.js';
import { updateStudentRoute } from './routes/update-student.js';

/** Routes of the students module, one file each (`routes/`), in the order `/docs` lists them. */
const ROUTES: ReadonlyArray<(app: ModuleRouter, ctx: ModuleContext) => void> = [
  listStudentsRoute,
  getStudentRoute,
  registerStudentRoute,
  updateStudentRoute,
  deactivateStudentRoute,
];

/** Routes of the students module: schemas and handlers only; writes are commands. */
export async function studentsRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  for (const route of ROUTES) route(app, ctx);
}
