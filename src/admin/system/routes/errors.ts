import { Type } from '@sinclair/typebox';
import { recentErrorsOf } from '../../../log/recent-errors.js';
import { operatesInstallation, principalOf } from '../../../shared/principal.js';
import { RecentErrorSchema } from '../system.schemas.js';
import type { ModuleRouter } from '../../../modules/module.js';
import { TENANT_SHARE_WITHOUT_DATABASE } from './route-config.js';
import type { AdminContext } from '../../admin-context.js';

/** `GET /errors`: the answering process's last error log lines: all of them for the installation role, those about their tenant for a tenant's admin. */
export function recentErrorsRoute(app: ModuleRouter, ctx: AdminContext): void {
  app.get(
    '/errors',
    {
      schema: {
        summary:
          "This process's last error and fatal log lines (redacted), newest first: all of them for the installation role, those about the caller's tenant otherwise",
        tags: ['system'],
        response: { 200: Type.Object({ items: Type.Array(RecentErrorSchema) }) },
      },
      config: TENANT_SHARE_WITHOUT_DATABASE,
    },
    async (request) => {
      const principal = principalOf(request);
      const items = recentErrorsOf(ctx.log)?.list(operatesInstallation(principal) ? undefined : principal.tenantId) ?? [];
      return { items: items.map(({ time, level, msg, error, requestId, module }) => ({ time, level, msg, error, requestId, module })) };
    },
  );
}
