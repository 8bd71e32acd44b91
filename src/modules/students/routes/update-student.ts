import { updateStudent } from '../students.commands.js';
import { StudentIdParams, StudentSchema, UpdateStudentBody } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { StudentError } from '../students.errors.js';

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
        response: { 200: StudentSchema },
      },
      config: { permission: 'write', errors: [StudentError.NOT_FOUND, StudentError.CPF_TAKEN] },
    },
    async (request, reply) => ctx.execute(request, reply, updateStudent, { ...request.body, id: request.params.id }),
  );
}
