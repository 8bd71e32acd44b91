import { principalOf } from '../../shared/principal.js';
import { PageOf, problemResponses } from '../../shared/schemas.js';
import type { ModuleContext, ModuleRouter } from '../module.js';
import { deactivateStudent, registerStudent, updateStudent } from './students.commands.js';
import { studentNotFound } from './students.errors.js';
import { findStudent, listStudents } from './students.queries.js';
import { ListStudentsQuery, RegisterStudentBody, StudentIdParams, StudentSchema, UpdateStudentBody } from './students.schemas.js';

const tags = ['students'];

/** Routes of the students module: schemas and handlers only; writes are commands. */
export async function studentsRoutes(app: ModuleRouter, ctx: ModuleContext): Promise<void> {
  app.get(
    '/',
    {
      schema: {
        summary: 'List and search students (newest first unless sort says otherwise)',
        tags,
        querystring: ListStudentsQuery,
        response: { 200: PageOf(StudentSchema), ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => listStudents(ctx.db, principalOf(request).tenantId, request.query),
  );

  app.get(
    '/:id',
    { schema: { summary: 'One student', tags, params: StudentIdParams, response: { 200: StudentSchema, ...problemResponses(400, 401, 404, 503) } } },
    async (request) => {
      const student = await findStudent(ctx.db, principalOf(request).tenantId, request.params.id);
      if (!student) throw studentNotFound(request.params.id);
      return student;
    },
  );

  app.post(
    '/',
    {
      schema: {
        operationId: registerStudent.name,
        summary: 'Register a student (a guardian is required under 18)',
        tags,
        body: RegisterStudentBody,
        response: { 201: StudentSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, registerStudent, request.body),
  );

  app.patch(
    '/:id',
    {
      schema: {
        summary: 'Change a student (any field but the status)',
        tags,
        params: StudentIdParams,
        body: UpdateStudentBody,
        response: { 200: StudentSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, updateStudent, { ...request.body, id: request.params.id }),
  );

  app.post(
    '/:id/deactivate',
    {
      schema: {
        summary: 'Deactivate a student (idempotent)',
        tags,
        params: StudentIdParams,
        response: { 200: StudentSchema, ...problemResponses(400, 401, 403, 404, 422, 503) },
      },
      config: { permission: 'write' },
    },
    async (request, reply) => ctx.execute(request, reply, deactivateStudent, { id: request.params.id }),
  );
}
