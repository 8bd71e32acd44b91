import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

describe('private PostgreSQL server', { timeout: 120_000 }, () => {
  let server: PrivatePostgres | undefined;
  const clients: pg.Client[] = [];

  /** Connects a new client; its 'error' events are expected when the server dies. */
  async function connect(pgServer: PrivatePostgres): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: pgServer.url, connectionTimeoutMillis: 5000 });
    client.on('error', () => {
      /* expected after kill9() */
    });
    clients.push(client);
    await client.connect();
    return client;
  }

  const running = (): PrivatePostgres => {
    if (server === undefined) throw new Error('server not started');
    return server;
  };

  beforeAll(async () => {
    server = await startPrivatePostgres();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await server?.destroy();
  }, 120_000);

  it('starts and answers queries on its own port', async () => {
    const s = running();
    expect(s.port).not.toBe(5432);
    expect(s.url).toBe(`postgres://postgres@127.0.0.1:${s.port}/postgres`);
    expect(existsSync(path.join(s.dataDir, 'PG_VERSION'))).toBe(true);
    const client = await connect(s);
    const result = await client.query<{ one: number }>('SELECT 1 AS one');
    expect(result.rows[0]?.one).toBe(1);
    await client.query('CREATE TABLE survivors (id int PRIMARY KEY, name text NOT NULL)');
    await client.query("INSERT INTO survivors VALUES (1, 'committed before kill -9')");
    await client.end();
  });

  it('is unreachable after kill9()', async () => {
    const s = running();
    const victim = await connect(s);
    await s.kill9();
    await expect(victim.query('SELECT 1')).rejects.toThrow();
    const fresh = new pg.Client({ connectionString: s.url, connectionTimeoutMillis: 2000 });
    fresh.on('error', () => {});
    clients.push(fresh);
    await expect(fresh.connect().then(() => fresh.query('SELECT 1'))).rejects.toThrow();
  });

  it('restarts after kill9() with the committed row intact', async () => {
    const s = running();
    await s.start();
    const client = await connect(s);
    const result = await client.query<{ name: string }>('SELECT name FROM survivors WHERE id = 1');
    expect(result.rows).toEqual([{ name: 'committed before kill -9' }]);
    await client.end();
  });

  it('stops gracefully and can be started again', async () => {
    const s = running();
    await s.stop();
    const refused = new pg.Client({ connectionString: s.url, connectionTimeoutMillis: 2000 });
    refused.on('error', () => {});
    clients.push(refused);
    await expect(refused.connect()).rejects.toThrow();
    await s.start();
    const client = await connect(s);
    expect((await client.query('SELECT count(*)::int AS n FROM survivors')).rows[0]).toEqual({ n: 1 });
    await client.end();
    await s.stop();
  });

  it('destroy() removes the temporary directory', async () => {
    const s = running();
    const dir = path.dirname(s.dataDir);
    expect(existsSync(dir)).toBe(true);
    await s.destroy();
    expect(existsSync(dir)).toBe(false);
    // A second destroy() (from afterAll) is a no-op.
    await s.destroy();
  });
});
