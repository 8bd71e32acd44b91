import type { Readable, Writable } from 'node:stream';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { CopySession } from '../database.js';

/**
 * Runs `work` on a connection of its own, opened by `open` and closed after: a {@link CopySession}
 * whose Kysely instance and COPY streams all go over that one connection, so a transaction begun
 * with it holds for the COPY statements too.
 *
 * NB: the connection is outside the pool and has neither a statement timeout nor a client read
 * timeout: one COPY moves a whole table and lasts as long as the table needs. The caller bounds
 * it (a signal that destroys the stream, which ends the connection).
 */
export async function withCopySession<T>(open: () => pg.Client, work: (session: CopySession) => Promise<T>): Promise<T> {
  const client = open();
  // A connection reset while idle between statements would otherwise be an unhandled 'error' event.
  let broken: Error | undefined;
  client.on('error', (error: Error) => {
    broken = error;
  });
  await client.connect();
  const single = Object.assign(client, { release: () => undefined });
  const kysely = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: { connect: () => Promise.resolve(single), end: () => Promise.resolve(), options: {} } }),
  });
  let failed = false;
  try {
    return await work({
      kysely,
      copyOut: (statement: string): Readable => client.query(copyTo(statement)),
      copyIn: (statement: string): Writable => client.query(copyFrom(statement)),
    });
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    await kysely.destroy();
    // A failed or broken session may have left a COPY half done: the socket is dropped, which
    // ends its transaction on the server, rather than waiting on a clean goodbye.
    if (failed || broken) client.connection.stream.destroy();
    else await client.end().catch(() => undefined);
  }
}
