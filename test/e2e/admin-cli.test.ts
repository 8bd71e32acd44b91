import { afterEach, describe, expect, it } from 'vitest';
import { spawnRobusto, type RobustoProcess } from '../support/spawn-robusto.js';
import { createTestDatabase, ENGINES } from '../support/test-database.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function run(args: string[], env: Record<string, string>, dataDir: string | undefined, stdin?: string): Promise<RobustoProcess> {
  const robusto = await spawnRobusto({ args, env, ...(dataDir ? { dataDir } : {}), ...(stdin !== undefined ? { stdin } : {}) });
  cleanups.push(() => robusto.destroy());
  await robusto.exited;
  return robusto;
}

describe.each(ENGINES)('tenant and user administration from the command line on %s', (engine) => {
  it('creates a tenant and a user who can then sign in, grants and revokes the installation role; refuses bad input with exit 1', async () => {
    const env: Record<string, string> = {};
    if (engine === 'postgres') {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      env.DATABASE_URL = database.url;
    }
    const tenant = await run(['tenant', 'create', 'padaria-central', 'Padaria Central'], env, undefined);
    expect(tenant.output()).toMatch(/✓ tenant padaria-central created/);
    expect(tenant.child.exitCode).toBe(0);
    const dataDir = tenant.dataDir;

    const again = await run(['tenant', 'create', 'padaria-central', 'Again'], env, dataDir);
    expect(again.child.exitCode).toBe(1);
    expect(again.output()).toMatch(/✗ A tenant with slug "padaria-central" already exists/);
    const badSlug = await run(['tenant', 'create', 'Padaria Central', 'X'], env, dataDir);
    expect(badSlug.child.exitCode).toBe(1);
    expect(badSlug.output()).toMatch(/slug "Padaria Central" is not valid/);

    const user = await run(
      ['user', 'create', '--tenant', 'padaria-central', '--email', 'maria@padaria.com.br', '--role', 'admin', '--name', 'Maria', '--password-stdin'],
      env,
      dataDir,
      's3gredo-da-padaria\n',
    );
    expect(user.output()).toMatch(/✓ user maria@padaria.com.br \(admin\) created in tenant padaria-central/);
    expect(user.child.exitCode).toBe(0);
    expect(user.output()).not.toContain('s3gredo');

    for (const [args, message] of [
      [['--tenant', 'padaria-central', '--email', 'x@y.z', '--role', 'god', '--password-stdin'], /--role "god" is not a role/],
      [['--tenant', 'nowhere', '--email', 'x@y.z', '--role', 'staff', '--password-stdin'], /no tenant "nowhere"/],
      [['--tenant', 'padaria-central', '--email', 'maria@padaria.com.br', '--role', 'staff', '--password-stdin'], /already exists in this tenant/],
    ] as const) {
      const refused = await run(['user', 'create', ...args], env, dataDir, 'long-enough-password\n');
      expect(refused.child.exitCode).toBe(1);
      expect(refused.output()).toMatch(message);
    }
    const short = await run(
      ['user', 'create', '--tenant', 'padaria-central', '--email', 'a@b.c', '--role', 'staff', '--password-stdin'],
      env,
      dataDir,
      'short\n',
    );
    expect(short.output()).toMatch(/at least 8 characters/);

    const granted = await run(['user', 'installation-admin', 'maria@padaria.com.br', '--tenant', 'padaria-central'], env, dataDir);
    expect(granted.output()).toMatch(/✓ maria@padaria.com.br \(admin of padaria-central\) holds the installation role/);
    expect(granted.child.exitCode).toBe(0);
    const nobody = await run(['user', 'installation-admin', 'nobody@padaria.com.br', '--tenant', 'padaria-central'], env, dataDir);
    expect(nobody.child.exitCode).toBe(1);
    expect(nobody.output()).toMatch(/✗ no user nobody@padaria.com.br in tenant padaria-central/);

    const server = await spawnRobusto({ env, dataDir });
    cleanups.push(() => server.destroy());
    await server.waitForReady();
    const login = await fetch(server.url('/api/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'padaria-central', email: 'maria@padaria.com.br', password: 's3gredo-da-padaria' }),
    });
    expect(login.status).toBe(200);
    const answer = (await login.json()) as { token: string };
    expect(answer).toMatchObject({ user: { role: 'admin', name: 'Maria', tenant: { slug: 'padaria-central', name: 'Padaria Central' } } });
    const backups = () => fetch(server.url('/api/system/backups'), { headers: { authorization: `Bearer ${answer.token}` } });
    expect((await backups()).status).toBe(200);

    // Revoked from the command line while the server runs: refused within the principal cache's 5 s.
    const revoked = await run(['user', 'installation-admin', 'maria@padaria.com.br', '--tenant', 'padaria-central', '--revoke'], env, dataDir);
    expect(revoked.output()).toMatch(/✓ maria@padaria.com.br \(admin of padaria-central\) no longer holds the installation role/);
    const deadline = Date.now() + 8_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await backups()).status;
    }
    expect(status).toBe(403);
  }, 90_000);
});
