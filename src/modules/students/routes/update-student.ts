import { problemResponses } from '../../../shared/schemas.js';
import { updateStudent } from '../students.commands.js';
import { StudentIdParams, StudentSchema, UpdateStudentBody } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `PATCH /:id`: changes any field of a student but the status (a command). */
export function updateStudentRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.patch(
    '/:id',
    {
      schema: {
        summary: 'Change a student (any field but the status)',
        tags: ['students'],
        params: StudentIdParams,
        body: UpdateStudentBody,
        response: { 200: StudentSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, updateStudent, { ...request.body, id: request.params.id }),
  );
}
