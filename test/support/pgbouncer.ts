/**
 * A private PgBouncer a test starts in front of a PostgreSQL server (the shared one on 5432 by
 * default), in transaction pooling mode, from a temporary directory and on a free port of
 * 127.0.0.1, so a suite can run robusto through a connection pooler as production does.
 *
 * Every database of the server is reachable through it (a `*` entry): `urlOf(database.url)` is
 * the URL of a test database as seen through the pooler. Authentication is `trust` (with an
 * `auth_file` naming the server's user), as the server itself is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL } from './test-database.js';
import { freePort } from './spawn-robusto.js';

/** Debian's PgBouncer (package `pgbouncer`, which CI installs in .ci/run). */
export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';
/** Whether PgBouncer is installed on this machine. */
export const PGBOUNCER_INSTALLED = existsSync(PGBOUNCER_BIN);
/** How long start() waits for PgBouncer to listen. */
const START_TIMEOUT_MS = 10_000;
/** How long stop() waits for PgBouncer to exit after SIGTERM, before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;

/** Options of {@link startPgBouncer}. */
export interface PgBouncerOptions {
  /** `default_pool_size`: server connections per database and user. Default 5. */
  poolSize?: number;
  /**
   * `ignore_startup_parameters`. Default `['statement_timeout']`, what docs/production.md tells an
   * operator to set; `[]` is PgBouncer's own default.
   */
  ignoreStartupParameters?: string[];
  /** The PostgreSQL server to pool: defaults to the one of `TEST_DATABASE_URL`. */
  upstream?: { host: string; port: number };
}

/** A running private PgBouncer. */
export interface PgBouncer {
  /** The TCP port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** `databaseUrl` (a database of the upstream server) as reached through this PgBouncer. */
  urlOf(databaseUrl: string): string;
  /** What `SHOW POOLS` on its admin console says of `database`: client and server connections. */
  pool(database: string): Promise<{ clientsActive: number; clientsWaiting: number; serversActive: number; serversIdle: number; serversUsed: number }>;
  /** Everything it logged so far. */
  log(): string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory; harmless when already stopped. */
  stop(): Promise<void>;
}

function configFile(options: {
  port: number;
  dir: string;
  poolSize: number;
  ignore: string[];
  upstream: { host: string; port: number };
  user: string;
}): string {
  return [
    '[databases]',
    `* = host=${options.upstream.host} port=${options.upstream.port}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${options.port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${path.join(options.dir, 'userlist.txt')}`,
    `admin_users = ${options.user}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize}`,
    'max_client_conn = 200',
    ...(options.ignore.length > 0 ? [`ignore_startup_parameters = ${options.ignore.join(',')}`] : []),
    // A server that went away is tried again soon (the default waits 15 s).
    'server_login_retry = 1',
    // PgBouncer refuses to run as root; it switches to this user once its files are read.
    ...(process.getuid?.() === 0 ? ['user = postgres'] : []),
    '',
  ].join('\n');
}

/** Resolves when `child` listens on `port`, rejects when it exits first or does not within START_TIMEOUT_MS. */
function listening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`pgbouncer exited (code ${code}, signal ${signal}) before listening on ${port}:\n${output()}`));
    };
    child.once('exit', onExit);
    const poll = () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        child.off('exit', onExit);
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() - started > START_TIMEOUT_MS) {
          child.off('exit', onExit);
          reject(new Error(`pgbouncer did not listen on ${port} within ${START_TIMEOUT_MS} ms:\n${output()}`));
          return;
        }
        timer = setTimeout(poll, 50);
      });
    };
    poll();
  });
}

/**
 * Starts a PgBouncer in transaction pooling mode in front of the test PostgreSQL server; resolves
 * once it accepts connections. Call `stop()` when done.
 */
export async function startPgBouncer(options: PgBouncerOptions = {}): Promise<PgBouncer> {
  const server = new URL(TEST_DATABASE_URL);
  const upstream = options.upstream ?? { host: server.hostname, port: Number(server.port || 5432) };
  const user = decodeURIComponent(server.username || 'postgres');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'robusto-pgbouncer-'));
  await writeFile(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
  let lines = '';
  let child: ChildProcess | undefined;
  let port = 0;
  try {
    // A port found free can be taken before PgBouncer binds it: try another one then.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const ini = path.join(dir, 'pgbouncer.ini');
      await writeFile(
        ini,
        configFile({ port, dir, poolSize: options.poolSize ?? 5, ignore: options.ignoreStartupParameters ?? ['statement_timeout'], upstream, user }),
      );
      lines = '';
      child = spawn(PGBOUNCER_BIN, [ini], { stdio: ['ignore', 'pipe', 'pipe'] });
      const running = child;
      running.stdout?.on('data', (chunk: Buffer) => (lines += chunk.toString()));
      running.stderr?.on('data', (chunk: Buffer) => (lines += chunk.toString()));
      try {
        await listening(running, port, () => lines);
        break;
      } catch (error) {
        running.kill('SIGKILL');
        if (attempt >= 3 || !/Address already in use/.test(lines)) throw error;
      }
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const running = child;
  const exited = new Promise<void>((resolve) => {
    if (running.exitCode !== null || running.signalCode !== null) resolve();
    else running.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;

  const urlOf = (databaseUrl: string): string => {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return url.toString();
  };

  const pool: PgBouncer['pool'] = async (database) => {
    const console = new pg.Client({ connectionString: urlOf(withDatabase(TEST_DATABASE_URL, 'pgbouncer')) });
    console.on('error', () => undefined);
    await console.connect();
    try {
      // Without parameters node-postgres sends the simple protocol, the only one the console answers.
      const { rows } = await console.query('SHOW POOLS');
      const row = (rows as Array<Record<string, string>>).find((r) => r.database === database);
      const n = (key: string) => Number(row?.[key] ?? 0);
      return {
        clientsActive: n('cl_active'),
        clientsWaiting: n('cl_waiting'),
        serversActive: n('sv_active'),
        serversIdle: n('sv_idle'),
        serversUsed: n('sv_used'),
      };
    } finally {
      await console.end();
    }
  };

  return {
    port,
    urlOf,
    pool,
    log: () => lines,
    stop() {
      stopping ??= (async () => {
        running.kill('SIGTERM');
        const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
