import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { createUser, findTenantBySlug, findUserByEmail, hashPassword, setInstallationAdmin } from '../modules/auth/index.js';
import { isAppError } from '../shared/app-error.js';
import { ROLES, type Role } from '../shared/principal.js';
import type { RobustoApp } from '../app.js';
import { withApp } from './with-app.js';
import { t, textIn } from '../shared/i18n/translate.js';
import type { Locale } from '../shared/i18n/locale.js';
import { commandLocale, helpText } from './command-locale.js';

const MIN_PASSWORD_LENGTH = 8;

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}

async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // NB: readline echoes what is typed; muting its output hides the password.
  const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => write(s.startsWith(question) ? s : '');
  try {
    return await new Promise((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

/**
 * Adds `robusto user create --tenant <slug> --email … --role … [--name …] [--password-stdin]` and
 * `robusto user installation-admin <email> --tenant <slug> [--revoke]`.
 */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description(helpText('help.user'));
  addCreateCommand(user);
  addInstallationAdminCommand(user);
}

/** The options of `robusto user create`. */
interface CreateOptions {
  tenant: string;
  email: string;
  role: string;
  name?: string;
  passwordStdin?: boolean;
}

/** Adds `robusto user create`: a user in a tenant, the password asked for or read from stdin. */
function addCreateCommand(user: Command): void {
  user
    .command('create')
    .description(helpText('help.user.create'))
    .requiredOption('--tenant <slug>', helpText('help.user.tenant'))
    .requiredOption('--email <email>', helpText('help.user.email'))
    .requiredOption('--role <role>', t(commandLocale(), 'help.user.role', { roles: ROLES.join(', ') }))
    .option('--name <name>', helpText('help.user.name'))
    .option('--password-stdin', helpText('help.user.passwordStdin'))
    .action(createUserAction);
}

/** Checks the options, then the password (asked for only when the options are right), then creates the user; every problem is a ✗ line and exit 1. */
async function createUserAction(options: CreateOptions): Promise<void> {
  const locale = commandLocale();
  const problems: string[] = [];
  if (!ROLES.includes(options.role as Role)) problems.push(t(locale, 'user.badRole', { role: options.role, roles: ROLES.join(', ') }));
  if (!/^[^@\s]+@[^@\s]+$/.test(options.email)) problems.push(t(locale, 'user.badEmail', { email: options.email }));
  if (problems.length === 0) {
    const password = options.passwordStdin ? await readStdin() : process.stdin.isTTY ? await prompt(t(locale, 'user.passwordPrompt')) : '';
    if (password.length < MIN_PASSWORD_LENGTH)
      problems.push(
        t(locale, process.stdin.isTTY || options.passwordStdin ? 'user.shortPassword' : 'user.shortPasswordNoTerminal', { min: MIN_PASSWORD_LENGTH }),
      );
    if (problems.length === 0) {
      await withApp((app) => createUserIn(app, options, password, locale));
      return;
    }
  }
  for (const problem of problems) process.stderr.write(`✗ ${problem}\n`);
  process.exitCode = 1;
}

/** Creates the user through the auth module's command, as the system; a missing tenant or a refused user is a ✗ line and exit 1. */
async function createUserIn(app: RobustoApp, options: CreateOptions, password: string, locale: Locale): Promise<void> {
  const tenant = await findTenantBySlug(app.db, options.tenant);
  if (!tenant) {
    process.stderr.write(`${t(locale, 'user.noTenantCreate', { tenant: options.tenant })}\n`);
    process.exitCode = 1;
    return;
  }
  try {
    const result = await app.dispatcher.dispatch(
      createUser,
      {
        email: options.email,
        name: options.name ?? options.email,
        role: options.role as Role,
        passwordHash: await hashPassword(password),
        actorRole: 'system',
      },
      { tenantId: tenant.id, userId: null, requestId: `cli-${Date.now()}`, fingerprint: 'cli' },
    );
    const id = (result.body as { id: string }).id;
    process.stdout.write(`${t(locale, 'user.created', { email: options.email, role: options.role, tenant: tenant.slug, id })}\n`);
  } catch (error) {
    if (!isAppError(error)) throw error;
    process.stderr.write(`✗ ${textIn(locale, error.detailText ?? error.detail)}\n`);
    process.exitCode = 1;
  }
}

/** The options of `robusto user installation-admin`. */
interface InstallationAdminOptions {
  tenant: string;
  revoke?: boolean;
}

/** Adds `robusto user installation-admin <email>`: grants or takes back the installation role. */
function addInstallationAdminCommand(user: Command): void {
  user
    .command('installation-admin')
    .description(helpText('help.user.installationAdmin'))
    .argument('<email>', helpText('help.user.adminEmail'))
    .requiredOption('--tenant <slug>', helpText('help.user.ofTenant'))
    .option('--revoke', helpText('help.user.revoke'))
    .action(async (email: string, options: InstallationAdminOptions) => {
      await withApp((app) => setInstallationRole(app, email, options));
    });
}

/** Grants (or takes back) the user's installation role through the auth module's command, as the system; a missing user or a refusal is a ✗ line and exit 1. */
async function setInstallationRole(app: RobustoApp, email: string, options: InstallationAdminOptions): Promise<void> {
  const locale = commandLocale();
  const tenant = await findTenantBySlug(app.db, options.tenant);
  const found = tenant ? await findUserByEmail(app.db, tenant.id, email) : undefined;
  if (!tenant || !found) {
    process.stderr.write(`${tenant ? t(locale, 'user.noUser', { email, tenant: tenant.slug }) : t(locale, 'user.noTenant', { tenant: options.tenant })}\n`);
    process.exitCode = 1;
    return;
  }
  const granted = options.revoke !== true;
  try {
    await app.dispatcher.dispatch(
      setInstallationAdmin,
      { userId: found.id, granted },
      { tenantId: tenant.id, userId: null, requestId: `cli-${Date.now()}`, fingerprint: 'cli' },
    );
  } catch (error) {
    if (!isAppError(error)) throw error;
    process.stderr.write(`✗ ${textIn(locale, error.detailText ?? error.detail)}\n`);
    process.exitCode = 1;
    return;
  }
  const unchanged = found.installationAdmin === granted ? t(locale, 'user.unchanged') : '';
  const said = { email: found.email, role: found.role, tenant: tenant.slug, unchanged };
  process.stdout.write(`${granted ? t(locale, 'user.granted', said) : t(locale, 'user.revoked', said)}\n`);
}
