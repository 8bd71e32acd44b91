import { principalOf } from '../../../shared/principal.js';
import { PageOf } from '../../../shared/schemas.js';
import { listStudents } from '../students.queries.js';
import { ListStudentsQuery, StudentSchema } from '../students.schemas.js';
import type { ModuleContext, ModuleRouter } from '../../module.js';

/** `GET /`: the tenant's students, searched, newest first unless sort says otherwise, a page at a time. */
export function listStudentsRoute(app: ModuleRouter, ctx: ModuleContext): void {
  app.get(
    '/',
    {
      schema: {
        summary: 'List and search students (newest first unless sort says otherwise)',
        tags: ['students'],
        querystring: ListStudentsQuery,
        response: { 200: PageOf(StudentSchema) },
      },
    },
    async (request) => listStudents(ctx.db, principalOf(request).tenantId, request.query),
  );
}
