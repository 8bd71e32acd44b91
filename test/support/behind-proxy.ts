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
  const t = await buildTestApp({ ...options, engine: 'postgres', databaseUrl: proxy.url(database.url), env: { DB_CONNECT_TIMEOUT_MS: '1000', ...options.env } });
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
