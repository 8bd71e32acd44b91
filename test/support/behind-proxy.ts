import { afterAll, beforeAll } from 'vitest';
import { createTenantWithUsers, type TestTenant } from './auth.js';
import { buildTestApp, type BuildTestAppOptions, type TestApp } from './build-app.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** An app on its own PostgreSQL database, reached through a fault proxy the test controls. */
export interface AppBehindProxy {
  t: TestApp;
  proxy: FaultProxy;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * Builds an app whose PostgreSQL connection goes through a {@link FaultProxy}, with a short
 * connect timeout so a cut is noticed quickly.
 */
export async function buildAppBehindProxy(options: Omit<BuildTestAppOptions, 'engine' | 'databaseUrl'> = {}): Promise<AppBehindProxy> {
  const database = await createTestDatabase();
  const target = new URL(database.url);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const t = await buildTestApp({
    ...options,
    engine: 'postgres',
    databaseUrl: proxy.url(database.url),
    env: { DB_CONNECT_TIMEOUT_MS: '1000', ...options.env },
  });
  return {
    t,
    proxy,
    database,
    async close() {
      await t.close();
      await proxy.close();
      await database.drop();
    },
  };
}

/** What {@link useAppBehindProxy} hands a suite once built. */
export interface ProxiedApp {
  t: TestApp;
  proxy: FaultProxy;
  tenant: TestTenant;
}

/**
 * For a `describe` block: before its tests, an app behind a fault proxy with a tenant of users
 * (`slug`) and, if `replaying`, its replayer started; `use` receives them. After the tests, all
 * of it is closed.
 */
export function useAppBehindProxy(slug: string, use: (app: ProxiedApp) => void, options: { replaying?: boolean } = {}): void {
  let env: AppBehindProxy | undefined;
  beforeAll(async () => {
    env = await buildAppBehindProxy();
    const tenant = await createTenantWithUsers(env.t, slug);
    if (options.replaying) env.t.app.replayer.start();
    use({ t: env.t, proxy: env.proxy, tenant });
  });
  afterAll(() => env?.close());
}
