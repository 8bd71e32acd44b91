// createDb: the Database the config names, on either engine. Its ping, its close, its pool
// figures, the statements it reports, COPY on PostgreSQL only, and the log lines of the pool's
// idle failures and of the host it chooses among several.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type Transaction } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { startFaultProxy, type FaultProxy } from '../../test/support/fault-proxy.js';
import { recordingLog } from '../../test/support/recording-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database.js';
import { createDb } from './create-db.js';
import type { Database } from './database.js';
import { freePort } from '../../test/support/spawn-robusto.js';

describe('createDb', () => {
  let database: TestDatabase;
  const dirs: string[] = [];
  const opened: Database[] = [];

  /** A Database for `env`, in a new DATA_DIR; closed after each test. */
  function open(env: Record<string, string>, log = pino({ level: 'silent' }), onQuery?: (text: string, parameters: readonly unknown[]) => void) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-create-db-'));
    dirs.push(dir);
    const { config } = loadConfig({ DATA_DIR: dir, ...env }, { cwd: dir, ignoreDotEnv: true });
    const db = createDb(config, log, onQuery ? { onQuery } : {});
    opened.push(db);
    return { db, dir };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => database?.drop());

  it('opens SQLite in DATA_DIR when DATABASE_URL is unset, with no COPY', async () => {
    const { db, dir } = open({});
    expect(db.engine).toBe('sqlite');
    expect(db.copy).toBeUndefined();
    await sql`create table t (v text)`.execute(db.kysely);
    const file = (await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(db.kysely)).rows[0]?.file;
    expect(file).toBe(path.join(dir, 'robusto.db'));
  });

  it.each(['sqlite', 'postgres'] as const)('on %s, concurrent pings share one round trip, and a ping after it makes another', async (engine) => {
    const heard: string[] = [];
    const { db } = open(engine === 'postgres' ? { DATABASE_URL: database.url } : {}, undefined, (text) => heard.push(text));
    const before = performance.now();
    const first = db.ping();
    const second = db.ping();
    expect(second).toBe(first);
    const latency = await first;
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThanOrEqual(performance.now() - before);
    const third = db.ping();
    expect(third).not.toBe(first);
    await third;
    // SQLite pings through Kysely; PostgreSQL on the monitor's own connection, outside the pool.
    expect(heard).toEqual(engine === 'sqlite' ? ['select 1', 'select 1'] : []);
    if (engine === 'postgres') expect(db.poolStats().total).toBe(0);
  });

  it.each(['sqlite', 'postgres'] as const)('on %s, closes once however often it is asked, and pings fail after', async (engine) => {
    const { db } = open(engine === 'postgres' ? { DATABASE_URL: database.url } : {});
    await db.ping();
    const closing = db.close();
    expect(db.close()).toBe(closing);
    await closing;
    await expect(db.ping()).rejects.toThrow(engine === 'postgres' ? /the database monitor is closed/ : /destroy|closed/i);
  });

  it('reports every statement to onQuery, those of write transactions included, with their parameters', async () => {
    const heard: Array<[string, readonly unknown[]]> = [];
    const { db } = open({ DATABASE_URL: database.url }, undefined, (text, parameters) => heard.push([text, parameters]));
    await sql`create table if not exists heard (v text)`.execute(db.kysely);
    await db.transaction(async (tx: Transaction<{ heard: { v: string } }>) => tx.insertInto('heard').values({ v: 'x' }).execute());
    expect(heard).toEqual([
      ['create table if not exists heard (v text)', []],
      ['begin; set local statement_timeout = 30000', []],
      ['insert into "heard" ("v") values ($1)', ['x']],
      ['commit', []],
    ]);
  });

  it('gives PostgreSQL the pool size and the statement timeout of the config', async () => {
    const { db } = open({ DATABASE_URL: database.url, DB_POOL_MAX: '3', DB_STATEMENT_TIMEOUT_MS: '4321' });
    expect(db.engine).toBe('postgres');
    expect(db.poolStats()).toEqual({ total: 0, idle: 0, waiting: 0, max: 3 });
    const timeout = await db.transaction(async (tx) => (await sql<{ statement_timeout: string }>`show statement_timeout`.execute(tx)).rows[0]);
    expect(timeout).toEqual({ statement_timeout: '4321ms' });
    expect(db.poolStats()).toEqual({ total: 1, idle: 1, waiting: 0, max: 3 });
  });

  it('runs COPY on PostgreSQL on a connection outside the pool', async () => {
    const { db } = open({ DATABASE_URL: database.url });
    const copied = await db.copy?.(async (session) => {
      const chunks: Buffer[] = [];
      for await (const chunk of session.copyOut('copy (select 1 as n union all select 2) to stdout')) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    });
    expect(copied).toBe('1\n2\n');
    expect(db.poolStats().total).toBe(0);
  });

  it('logs a warning with the error when an idle pooled connection fails', async () => {
    const { log, lines } = recordingLog();
    const { db } = open({ DATABASE_URL: database.url }, log);
    const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.kysely)).rows[0]?.pid;
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'idle database connection failed; the pool will replace it' });
    expect(lines[0]?.fields.err).toBeInstanceOf(Error);
  });

  it('logs the host chosen among several, and a switch to another host as a warning naming both', async () => {
    const target = new URL(database.url);
    const real = `${target.hostname}:${target.port || '5432'}`;
    const proxy: FaultProxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    try {
      const dead = await freePort();
      const url = `postgres://${target.username}@127.0.0.1:${dead},127.0.0.1:${proxy.port},${real}${target.pathname}?target_session_attrs=read-write`;
      const { log, lines } = recordingLog();
      const { db } = open({ DATABASE_URL: url }, log);
      await sql`select 1`.execute(db.kysely);
      expect(lines).toEqual([
        {
          level: 'info',
          msg: 'database connections go to the first host that fits',
          fields: { host: `127.0.0.1:${proxy.port}`, previous: undefined, targetSessionAttrs: 'read-write' },
        },
      ]);
      proxy.cut();
      await expect
        .poll(async () =>
          sql`select 1`.execute(db.kysely).then(
            () => true,
            () => false,
          ),
        )
        .toBe(true);
      expect(lines.slice(1).filter((l) => l.msg !== 'idle database connection failed; the pool will replace it')).toEqual([
        {
          level: 'warn',
          msg: 'database connections go to another host',
          fields: { host: real, previous: `127.0.0.1:${proxy.port}`, targetSessionAttrs: 'read-write' },
        },
      ]);
    } finally {
      await proxy.close();
    }
  });
});
