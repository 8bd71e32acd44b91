import { deactivateStudent } from '../students.commands.js';
import { StudentIdParams, StudentSchema } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { StudentError } from '../students.errors.js';

/** `POST /:id/deactivate`: deactivates a student, idempotent (a command). */
export function deactivateStudentRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/:id/deactivate',
    {
      schema: {
        summary: 'Deactivate a student (idempotent)',
        tags: ['students'],
        params: StudentIdParams,
        response: { 200: StudentSchema },
      },
      config: { permission: 'write', errors: [StudentError.NOT_FOUND] },
    },
    async (request, reply) => ctx.execute(request, reply, deactivateStudent, { id: request.params.id }),
  );
}
