// A COPY session: one connection of its own for Kysely's statements and the COPY streams, ended
// cleanly after work that succeeded, dropped after work that failed or a connection that broke.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database.js';
import { withCopySession } from './postgres-copy.js';

describe('withCopySession', () => {
  let database: TestDatabase;

  /** A new client, with spies on how it is closed. */
  const client = () => {
    const c = new pg.Client({ connectionString: database.url });
    const end = vi.spyOn(c, 'end');
    return { c, end, destroy: () => vi.spyOn(c.connection.stream, 'destroy') };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('create table copied (n integer)');
    await admin.end();
  });
  afterAll(() => database?.drop());

  const text = async (stream: Readable) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };

  it("runs Kysely's statements and the COPY streams on one connection, in one transaction, and ends it cleanly", async () => {
    const { c, end } = client();
    const result = await withCopySession(
      () => c,
      async (session) => {
        const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(session.kysely)).rows[0]?.pid;
        await sql`begin`.execute(session.kysely);
        await pipeline(Readable.from(['1\n2\n']), session.copyIn('copy copied (n) from stdin'));
        const inside = await text(session.copyOut('copy (select count(*) from copied) to stdout'));
        const copyPid = await text(session.copyOut('copy (select pg_backend_pid()) to stdout'));
        await sql`rollback`.execute(session.kysely);
        const after = await text(session.copyOut('copy (select count(*) from copied) to stdout'));
        return { samePid: copyPid.trim() === String(pid), inside, after };
      },
    );
    expect(result).toEqual({ samePid: true, inside: '2\n', after: '0\n' });
    expect(end).toHaveBeenCalledTimes(1);
  });

  it('drops the connection of work that failed, and rethrows its error', async () => {
    const { c, end, destroy } = client();
    const failure = new Error('the restore failed');
    let spy: ReturnType<typeof destroy> | undefined;
    await expect(
      withCopySession(
        () => c,
        async () => {
          spy = destroy();
          throw failure;
        },
      ),
    ).rejects.toBe(failure);
    expect(spy).toHaveBeenCalled();
    expect(end).not.toHaveBeenCalled();
  });

  it('drops a connection that broke during the work, without an unhandled error', async () => {
    const { c, end, destroy } = client();
    let spy: ReturnType<typeof destroy> | undefined;
    const value = await withCopySession(
      () => c,
      async () => {
        spy = destroy();
        c.emit('error', new Error('Connection terminated unexpectedly'));
        return 'done';
      },
    );
    expect(value).toBe('done');
    expect(spy).toHaveBeenCalled();
    expect(end).not.toHaveBeenCalled();
  });

  it('rejects when the connection cannot be opened, before any work', async () => {
    const work = vi.fn(() => Promise.resolve());
    await expect(withCopySession(() => new pg.Client({ connectionString: `${database.url}_missing` }), work)).rejects.toThrow(/does not exist/);
    expect(work).not.toHaveBeenCalled();
  });
});
