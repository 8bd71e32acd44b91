import { problemResponses } from '../../../shared/schemas.js';
import { registerStudent } from '../students.commands.js';
import { RegisterStudentBody, StudentSchema } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `POST /`: registers a student, a guardian required under 18 (a command). */
export function registerStudentRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.post(
    '/',
    {
      schema: {
        operationId: registerStudent.name,
        summary: 'Register a student (a guardian is required under 18)',
        tags: ['students'],
        body: RegisterStudentBody,
        response: { 201: StudentSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, registerStudent, request.body),
  );
}
