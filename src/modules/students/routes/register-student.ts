import { registerStudent } from '../students.commands.js';
import { RegisterStudentBody, StudentSchema } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';
import { StudentError } from '../students.errors.js';

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
        response: { 201: StudentSchema },
      },
      config: { permission: 'write', errors: [StudentError.CPF_TAKEN] },
    },
    async (request, reply) => ctx.execute(request, reply, registerStudent, request.body),
  );
}
