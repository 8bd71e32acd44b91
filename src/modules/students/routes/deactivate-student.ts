import { problemResponses } from '../../../shared/schemas.js';
import { deactivateStudent } from '../students.commands.js';
import { StudentIdParams, StudentSchema } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `POST /:id/deactivate`: deactivates a student, idempotent (a command). */
export function deactivateStudentRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/:id/deactivate',
    {
      schema: {
        summary: 'Deactivate a student (idempotent)',
        tags: ['students'],
        params: StudentIdParams,
        response: { 200: StudentSchema, ...problemResponses(400, 401, 403, 404, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, deactivateStudent, { id: request.params.id }),
  );
}
