import type { FastifyReply } from 'fastify';
import { ADMIN_CSS, ADMIN_HTML, ADMIN_ICON, ADMIN_JS } from './admin-page.assets.js';
import type { HttpServer } from '../../http/create-server.js';
import { registerAdminGuide } from './admin-guide.js';

// Only the page's own files run or style it; it talks to this server only, and no one frames it.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

function sendFile(reply: FastifyReply, type: string, body: string): FastifyReply {
  return reply
    .type(type)
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store')
    .send(body);
}

/**
 * Registers the admin page (`/admin`, with its script, style and icon under `/admin/`): status
 * lights, the journal and its dead letters (retry or discard), the tenant's activity (the audit
 * trail, filtered and paged), modules, jobs, backups and restarts, refreshed every 5 seconds. The files hold no data and need no sign-in; the page signs
 * in like any client and reads the admin API (`/health`, `/api/system/*`, `/api/audit`, `/api/auth/users`) with its token, so an
 * admin or owner with the installation role sees the installation, another admin or owner their
 * tenant's part (the installation's sections hidden, saying why), and anyone else gets the API's 403.
 * The operator guide in Portuguese is beside it, at `/admin/guia`.
 */
export function registerAdminPage(app: HttpServer): void {
  const options = { schema: { hide: true }, config: { public: true, withoutDatabase: true } };
  app.get('/admin', options, async (_request, reply) => sendFile(reply, 'text/html; charset=utf-8', ADMIN_HTML));
  app.get('/admin/admin.js', options, async (_request, reply) => sendFile(reply, 'text/javascript; charset=utf-8', ADMIN_JS));
  app.get('/admin/admin.css', options, async (_request, reply) => sendFile(reply, 'text/css; charset=utf-8', ADMIN_CSS));
  app.get('/admin/favicon.svg', options, async (_request, reply) => sendFile(reply, 'image/svg+xml', ADMIN_ICON));
  registerAdminGuide(app);
}
