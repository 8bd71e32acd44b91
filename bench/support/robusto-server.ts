import { markReady } from '../../src/http/app-state.js';
import { pino } from 'pino';
import { buildApp, type RobustoApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createDb } from '../../src/db/create-db.js';
import { createLogger } from '../../src/log/create-logger.js';
import { createTokenService } from '../../src/identity/index.js';
import { createTenant, createUser, hashPassword } from '../../src/modules/auth/index.js';
import { newId } from '../../src/shared/ids.js';

/** A robusto listening on 127.0.0.1 for a benchmark, with a tenant and a signed-in staff user. */
export interface BenchRobusto {
  app: RobustoApp;
  /** http://127.0.0.1:<port> */
  url: string;
  /** A staff user's bearer token. */
  token: string;
  tenantId: string;
  userId: string;
  close(): Promise<void>;
}

/** Options of {@link startBenchRobusto}. */
export interface BenchRobustoOptions {
  dataDir: string;
  /** PostgreSQL URL; without it, SQLite in `dataDir`. */
  databaseUrl?: string;
  /** Environment variables on top of the bench defaults (e.g. LOG_LEVEL, DB_POOL_MAX). */
  env?: Record<string, string>;
}

/**
 * Builds and starts robusto the way `serve` does, with production logging (redacted JSON lines,
 * asynchronous writes) to /dev/null instead of stdout, then creates a tenant and a staff user
 * and signs a token for it.
 */
export async function startBenchRobusto(options: BenchRobustoOptions): Promise<BenchRobusto> {
  const env: Record<string, string> = {
    DATA_DIR: options.dataDir,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    NODE_ENV: 'production',
    SECRET_KEY: 'b'.repeat(48),
    // Thousands of writes a second from one user: the per-route limits (100/min) would refuse them.
    RATE_LIMITS: 'off',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  const { config } = loadConfig(env, { cwd: options.dataDir, ignoreDotEnv: true });
  const log = await createLogger(config, { destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const db = createDb(config, log);
  const app = await buildApp({ config, log, db });
  if (!(await app.migrate()) || app.registry.failed().length > 0) throw new Error(`robusto did not start: ${JSON.stringify(app.registry.failed())}`);
  markReady(app.state);
  const url = await app.http.listen({ port: 0, host: '127.0.0.1' });
  const tenantId = newId();
  const meta = { tenantId, userId: null, requestId: 'bench', fingerprint: 'bench' };
  await app.dispatcher.dispatch(createTenant, { id: tenantId, slug: 'bench', name: 'Bench' }, meta);
  const user = await app.dispatcher.dispatch(
    createUser,
    { email: 'staff@bench.test', name: 'Staff', role: 'staff', passwordHash: await hashPassword('bench-password'), actorRole: 'system' },
    meta,
  );
  const userId = (user.body as { id: string }).id;
  const { token } = createTokenService(config.secretKey).sign({ sub: userId, tid: tenantId, role: 'staff', ep: 0 });
  return {
    app,
    url,
    token,
    tenantId,
    userId,
    close: async () => {
      app.circuit.stop();
      await app.replayer.stop();
      await app.http.close();
      app.journal.close();
      await db.close();
    },
  };
}

let studentCounter = 0;

/** A new student's JSON body (a new row per call). */
export function studentBody(): string {
  studentCounter++;
  return JSON.stringify({ name: `Aluno Benchmark ${studentCounter}`, birthDate: '2001-05-17', plan: 'Manhã', email: `aluno${studentCounter}@escola.test` });
}
