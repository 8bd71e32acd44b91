import { principalOf } from '../../../shared/principal.js';
import { studentNotFound } from '../students.errors.js';
import { findStudent } from '../students.queries.js';
import { StudentIdParams, StudentSchema } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /:id`: one student of the tenant. */
export function getStudentRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/:id',
    {
      schema: {
        summary: 'One student',
        tags: ['students'],
        params: StudentIdParams,
        response: { 200: StudentSchema },
      },
    },
    async (request) => {
      const student = await findStudent(ctx.db, principalOf(request).tenantId, request.params.id);
      if (!student) throw studentNotFound(request.params.id);
      return student;
    },
  );
}
