import type { Command } from 'commander';
import { createTenant } from '../modules/auth/index.js';
import { isAppError } from '../shared/app-error.js';
import { newId } from '../shared/ids.js';
import { withApp } from './with-app.js';
import { t, textIn } from '../shared/i18n/translate.js';
import { commandLocale, helpText } from './command-locale.js';

const SLUG = /^[a-z0-9][a-z0-9-]{0,49}$/;

/** Adds `robusto tenant create <slug> <name>`. */
export function registerTenantCommands(program: Command): void {
  const tenant = program.command('tenant').description(helpText('help.tenant'));
  tenant
    .command('create')
    .description(helpText('help.tenant.create'))
    .argument('<slug>', helpText('help.tenant.slug'))
    .argument('<name>', helpText('help.tenant.name'))
    .action(async (slug: string, name: string) => {
      const locale = commandLocale();
      if (!SLUG.test(slug)) {
        process.stderr.write(`${t(locale, 'tenant.badSlug', { slug })}\n`);
        process.exitCode = 1;
        return;
      }
      await withApp(async (app) => {
        const id = newId();
        try {
          await app.dispatcher.dispatch(
            createTenant,
            { id, slug, name: name.trim() || slug },
            { tenantId: id, userId: null, requestId: `cli-${id}`, fingerprint: 'cli' },
          );
          process.stdout.write(`${t(locale, 'tenant.created', { slug, id })}\n`);
        } catch (error) {
          if (!isAppError(error)) throw error;
          process.stderr.write(`✗ ${textIn(locale, error.detailText ?? error.detail)}\n`);
          process.exitCode = 1;
        }
      });
    });
}
