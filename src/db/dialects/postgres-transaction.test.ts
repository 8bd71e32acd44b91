// What a PostgreSQL write transaction sends, message by message, on a recording client: BEGIN and
// the statements nobody reads go with the next statement that needs the server, the COMMIT or
// ROLLBACK ends it, a handle kept past its end is refused, and its client goes back to the pool
// whole or, when it may be broken, with an error.
import { CamelCasePlugin, Kysely, PostgresDialect, sql, type KyselyPlugin, type Transaction } from 'kysely';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { StallWatch } from './postgres-deadline.js';
import { directConnectionOf, postgresTransactions, type QueryListener } from './postgres-transaction.js';

interface Tables {
  notes: { id: string; title: string };
}

const BEGIN = 'begin; set local statement_timeout = 5000';

/** One message the client sent: its text, and its parameters when it had any. */
interface Sent {
  sql: string;
  parameters?: unknown[];
}

/** What the recording client answers a message with. */
type Answer = (sql: string) => Partial<pg.QueryResult> | Error | string;

/**
 * A pooled client that records each message and answers it: one result per statement (an array
 * for a message of several, as node-postgres gives), or the error `answer` returns. A string
 * answer rejects with something that is not an Error.
 */
function recordingClient(answer: Answer = () => ({})) {
  const sent: Sent[] = [];
  const released: Array<Error | boolean | undefined> = [];
  const client = {
    query(text: string, parameters?: unknown[]) {
      sent.push(parameters === undefined ? { sql: text } : { sql: text, parameters });
      const outcome = answer(text);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a driver may reject with something that is not an Error
      if (outcome instanceof Error || typeof outcome === 'string') return Promise.reject(outcome);
      const result = { command: 'SELECT', rowCount: 0, rows: [], ...outcome };
      const statements = text.split(';').length;
      return Promise.resolve(statements > 1 ? [...Array.from({ length: statements - 1 }, () => ({ command: 'SET', rows: [] })), result] : result);
    },
    release(error?: Error | boolean) {
      released.push(error);
    },
  };
  return { client: client as unknown as pg.PoolClient, sent, released };
}

/**
 * A pooled client that answers every message at once but `held` (COMMIT or ROLLBACK), whose
 * answer waits until `answer()`: the moment a statement is on its way.
 */
function clientHolding(held: 'commit' | 'rollback') {
  const sent: string[] = [];
  let answerHeld: (() => void) | undefined;
  const client = {
    query(text: string) {
      sent.push(text);
      if (text !== held) return Promise.resolve({ command: 'SELECT', rows: [] });
      return new Promise((resolve) => {
        answerHeld = () => resolve({ command: held.toUpperCase(), rows: [] });
      });
    },
    release: () => undefined,
  } as unknown as pg.PoolClient;
  return { client, sent, answer: () => answerHeld?.() };
}

/** A Kysely instance that only compiles (its pool is never used: transactions get the recording client). */
function compilerOnly(plugins: KyselyPlugin[] = []) {
  const dialect = new PostgresDialect({ pool: {} as never });
  const config = { dialect, plugins };
  return { kysely: new Kysely<Tables>(config), props: { dialect, config } };
}

/** A runner on `client`, with a listener that records what it hears. */
function runner(client: pg.PoolClient, options: { timeoutMs?: number; watch?: StallWatch; connect?: () => Promise<pg.PoolClient>; plugins?: boolean } = {}) {
  const { kysely, props } = compilerOnly(options.plugins ? [new CamelCasePlugin()] : []);
  const heard: Array<[string, readonly unknown[]]> = [];
  const listener: QueryListener = (text, parameters) => heard.push([text, parameters]);
  const run = postgresTransactions(kysely, props, options.connect ?? (() => Promise.resolve(client)), options.timeoutMs ?? 5_000, listener, options.watch);
  return { run: run as <T>(work: (tx: Transaction<Tables>) => Promise<T>) => Promise<T>, heard, kysely };
}

/** A watch that lets the test abandon the attempt whenever it likes. */
function manualWatch() {
  const watch = {
    abandon: undefined as (() => void) | undefined,
    guard<T>(attempt: Promise<T>, abandon: () => void): Promise<T> {
      watch.abandon = abandon;
      return attempt;
    },
  };
  return watch;
}

const selectNote = (tx: Transaction<Tables>, id: string) => tx.selectFrom('notes').select('title').where('id', '=', id).execute();
const SELECT_SQL = 'select "title" from "notes" where "id" = $1';
const INSERT_SQL = 'insert into "notes" ("id", "title") values ($1, $2)';

describe('PostgreSQL write transactions', () => {
  it('sends nothing for a transaction that sent no statement, and gives the client back whole', async () => {
    const { client, sent, released } = recordingClient();
    const { run, heard } = runner(client);
    await expect(run(async () => 7)).resolves.toBe(7);
    expect(sent).toEqual([]);
    expect(heard).toEqual([]);
    expect(released).toEqual([undefined]);
  });

  it('sends BEGIN and its statement timeout with the first query, as one message with the values written in, then COMMIT alone', async () => {
    const { client, sent, released } = recordingClient((text) => (text.includes('select') ? { rows: [{ title: 'Ana' }] } : {}));
    const { run, heard } = runner(client, { timeoutMs: 1_234 });
    const rows = await run((tx) => selectNote(tx, "d'Ávila"));
    expect(rows).toEqual([{ title: 'Ana' }]);
    expect(sent).toEqual([{ sql: `begin; set local statement_timeout = 1234;\nselect "title" from "notes" where "id" = 'd''Ávila'` }, { sql: 'commit' }]);
    expect(heard).toEqual([
      ['begin; set local statement_timeout = 1234', []],
      [SELECT_SQL, ["d'Ávila"]],
      ['commit', []],
    ]);
    expect(released).toEqual([undefined]);
  });

  it('sends a query with its parameters once BEGIN went and nothing is held', async () => {
    const { client, sent } = recordingClient();
    const { run, heard } = runner(client);
    await run(async (tx) => {
      await selectNote(tx, 'a');
      await selectNote(tx, 'b');
    });
    expect(sent[1]).toEqual({ sql: SELECT_SQL, parameters: ['b'] });
    expect(sent).toHaveLength(3);
    expect(heard.map(([text]) => text)).toEqual([BEGIN, SELECT_SQL, SELECT_SQL, 'commit']);
  });

  it('holds statements whose result nobody reads and sends them with the COMMIT, in their order, with BEGIN first', async () => {
    const { client, sent } = recordingClient();
    const { run, heard } = runner(client);
    await run(async (tx) => {
      const direct = directConnectionOf(tx);
      expect(direct).toBeDefined();
      await direct?.run(INSERT_SQL, ['1', 'um']);
      await direct?.run(INSERT_SQL, ['2', 'dois']);
      expect(sent).toEqual([]);
    });
    expect(sent).toEqual([
      { sql: `${BEGIN};\ninsert into "notes" ("id", "title") values ('1', 'um');\ninsert into "notes" ("id", "title") values ('2', 'dois');\ncommit` },
    ]);
    expect(heard).toEqual([
      [BEGIN, []],
      [INSERT_SQL, ['1', 'um']],
      [INSERT_SQL, ['2', 'dois']],
      ['commit', []],
    ]);
  });

  it('sends the statements held with the next query, whose result is the last of the message; later ones go without BEGIN', async () => {
    const { client, sent } = recordingClient((text) => (text.endsWith("'x'") ? { rows: [{ title: 'found' }] } : {}));
    const { run, heard } = runner(client);
    const rows = await run(async (tx) => {
      const direct = directConnectionOf(tx);
      await direct?.run(INSERT_SQL, ['x', 'xis']);
      const found = await selectNote(tx, 'x');
      await direct?.run('delete from "notes" where "id" = $1', ['y']);
      return found;
    });
    expect(rows).toEqual([{ title: 'found' }]);
    expect(sent).toEqual([
      { sql: `${BEGIN};\ninsert into "notes" ("id", "title") values ('x', 'xis');\nselect "title" from "notes" where "id" = 'x'` },
      { sql: `delete from "notes" where "id" = 'y';\ncommit` },
    ]);
    expect(heard.map(([text]) => text)).toEqual([BEGIN, INSERT_SQL, SELECT_SQL, 'delete from "notes" where "id" = $1', 'commit']);
  });

  it('sends BEGIN alone, then the query with its parameters, when a value has no literal form', async () => {
    const { client, sent } = recordingClient();
    const { run, heard } = runner(client);
    const binary = Buffer.from([0, 1, 2]);
    await run(async (tx) => {
      await sql`select ${binary} as data`.execute(tx);
      await sql`select ${binary} as data`.execute(tx);
    });
    expect(sent).toEqual([
      { sql: BEGIN },
      { sql: 'select $1 as data', parameters: [binary] },
      { sql: 'select $1 as data', parameters: [binary] },
      { sql: 'commit' },
    ]);
    expect(heard.map(([text]) => text)).toEqual([BEGIN, 'select $1 as data', 'select $1 as data', 'commit']);
  });

  it('sends an unread statement with no literal form at once, after BEGIN and the statements held', async () => {
    const { client, sent } = recordingClient();
    const { run, heard } = runner(client);
    const binary = Buffer.from('abc');
    await run(async (tx) => {
      const direct = directConnectionOf(tx);
      await direct?.run(INSERT_SQL, ['1', 'um']);
      await direct?.run(INSERT_SQL, ['2', binary]);
      await direct?.run(INSERT_SQL, ['3', binary]);
    });
    expect(sent).toEqual([
      { sql: `${BEGIN};\ninsert into "notes" ("id", "title") values ('1', 'um')` },
      { sql: INSERT_SQL, parameters: ['2', binary] },
      { sql: INSERT_SQL, parameters: ['3', binary] },
      { sql: 'commit' },
    ]);
    expect(heard).toEqual([
      [BEGIN, []],
      [INSERT_SQL, ['1', 'um']],
      [INSERT_SQL, ['2', binary]],
      [INSERT_SQL, ['3', binary]],
      ['commit', []],
    ]);
  });

  it('gives the number of affected rows of an INSERT, UPDATE, DELETE or MERGE as a bigint, and none for other statements', async () => {
    const answers: Record<string, Partial<pg.QueryResult>> = {
      insert: { command: 'INSERT', rowCount: 2 },
      update: { command: 'UPDATE', rowCount: 3 },
      delete: { command: 'DELETE', rowCount: null as unknown as number },
      merge: { command: 'MERGE', rowCount: 4 },
      select: { command: 'SELECT', rowCount: 1, rows: [{ n: 1 }] },
      copy: { command: 'COPY', rowCount: 9, rows: undefined as unknown as [] },
    };
    const { client } = recordingClient((text) => answers[text.slice(text.lastIndexOf('\n') + 1).split(' ')[0] as string] ?? {});
    const { run } = runner(client);
    const results = await run(async (tx) => {
      const out: Record<string, unknown> = {};
      for (const verb of Object.keys(answers)) {
        const { rows, numAffectedRows } = await tx.executeQuery(sql`${sql.raw(verb)} something`.compile(tx));
        out[verb] = { rows, numAffectedRows };
      }
      return out;
    });
    expect(results).toEqual({
      insert: { rows: [], numAffectedRows: 2n },
      update: { rows: [], numAffectedRows: 3n },
      delete: { rows: [], numAffectedRows: 0n },
      merge: { rows: [], numAffectedRows: 4n },
      select: { rows: [{ n: 1 }], numAffectedRows: undefined },
      copy: { rows: [], numAffectedRows: undefined },
    });
  });

  it('refuses a handle used after its COMMIT: queries, unread statements and a second COMMIT', async () => {
    const { client, sent } = recordingClient();
    const { run } = runner(client);
    let kept: Transaction<Tables> | undefined;
    await run(async (tx) => {
      kept = tx;
      await selectNote(tx, 'a');
    });
    const handle = kept as Transaction<Tables>;
    const direct = directConnectionOf(handle);
    await expect(selectNote(handle, 'b')).rejects.toThrow(/already ended \(committed or rolled back\); run the query inside the transaction callback/);
    await expect(direct?.run(INSERT_SQL, ['1', 'um'])).rejects.toThrow(/already ended/);
    await expect(direct?.commit()).rejects.toThrow(/already ended/);
    expect(sent).toHaveLength(2);
  });

  it('refuses a handle whose COMMIT is on its way: a statement sent meanwhile never runs after it', async () => {
    const { client, sent, answer } = clientHolding('commit');
    const { run } = runner(client);
    let kept: Transaction<Tables> | undefined;
    const done = run(async (tx) => {
      kept = tx;
      await selectNote(tx, 'a');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.at(-1)).toBe('commit');
    await expect(selectNote(kept as Transaction<Tables>, 'b')).rejects.toThrow(/already ended/);
    answer();
    await done;
    expect(sent).toHaveLength(2);
  });

  it('rolls back a transaction whose callback throws once BEGIN went, rethrows the same error, and gives the client back whole', async () => {
    const { client, sent, released } = recordingClient();
    const { run, heard } = runner(client);
    const failure = new Error('the callback failed');
    await expect(
      run(async (tx) => {
        await selectNote(tx, 'a');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(sent.map((m) => m.sql)).toEqual([`${BEGIN};\nselect "title" from "notes" where "id" = 'a'`, 'rollback']);
    expect(heard.map(([text]) => text)).toEqual([BEGIN, SELECT_SQL, 'rollback']);
    expect(released).toEqual([undefined]);
  });

  it('sends no ROLLBACK for a transaction that failed before anything reached the server, even with statements held', async () => {
    const { client, sent, released } = recordingClient();
    const { run } = runner(client);
    const failure = new Error('refused before any statement');
    await expect(
      run(async (tx) => {
        await directConnectionOf(tx)?.run(INSERT_SQL, ['1', 'um']);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(sent).toEqual([]);
    expect(released).toEqual([undefined]);
  });

  it('rolls back when the COMMIT fails, tells the listener of no statement of the failed message, and rejects with its error', async () => {
    const refused = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    const { client, sent, released } = recordingClient((text) => (text.endsWith('commit') ? refused : {}));
    const { run, heard } = runner(client);
    await expect(run(async (tx) => directConnectionOf(tx)?.run(INSERT_SQL, ['1', 'um']))).rejects.toBe(refused);
    expect(sent.map((m) => m.sql)).toEqual([`${BEGIN};\ninsert into "notes" ("id", "title") values ('1', 'um');\ncommit`, 'rollback']);
    expect(heard).toEqual([['rollback', []]]);
    expect(released).toEqual([undefined]);
  });

  it('gives back a client whose ROLLBACK failed with that error, so the pool destroys it', async () => {
    const reset = new Error('Connection terminated unexpectedly');
    const { client, released } = recordingClient((text) => (text === 'rollback' || text.endsWith('commit') ? reset : {}));
    const { run, heard } = runner(client);
    await expect(run((tx) => selectNote(tx, 'a'))).rejects.toBe(reset);
    expect(released).toEqual([reset]);
    expect(heard.map(([text]) => text)).toEqual([BEGIN, SELECT_SQL]);
  });

  it('turns a ROLLBACK failure that is not an Error into one for the pool', async () => {
    const { client, released } = recordingClient((text) =>
      text === 'rollback' ? 'socket gone' : text.includes('select') ? new Error('statement failed') : {},
    );
    const { run } = runner(client);
    await expect(run((tx) => selectNote(tx, 'a'))).rejects.toThrow('statement failed');
    expect(released).toHaveLength(1);
    expect(released[0]).toBeInstanceOf(Error);
    expect((released[0] as Error).message).toBe('socket gone');
  });

  it('gives back unused a client that came after the attempt was abandoned, and rejects', async () => {
    const { client, sent, released } = recordingClient();
    let hand: ((c: pg.PoolClient) => void) | undefined;
    const watch = manualWatch();
    const { run } = runner(client, { watch: watch as unknown as StallWatch, connect: () => new Promise((resolve) => (hand = resolve)) });
    let ran = false;
    const attempt = run(async () => {
      ran = true;
    });
    watch.abandon?.();
    hand?.(client);
    await expect(attempt).rejects.toThrow('the transaction attempt was abandoned while it waited for a connection');
    expect(ran).toBe(false);
    expect(sent).toEqual([]);
    expect(released).toEqual([undefined]);
  });

  it('an abandoned attempt can send nothing more, sends no ROLLBACK, and its client goes back once, with an error', async () => {
    const { client, sent, released } = recordingClient();
    const watch = manualWatch();
    const { run } = runner(client, { watch: watch as unknown as StallWatch });
    const attempt = run(async (tx) => {
      await selectNote(tx, 'a');
      watch.abandon?.();
      await directConnectionOf(tx)?.run(INSERT_SQL, ['1', 'um']);
    });
    await expect(attempt).rejects.toThrow(/already ended/);
    expect(sent).toHaveLength(1);
    expect(released).toHaveLength(1);
    expect((released[0] as Error).message).toBe('the database stopped answering; the connection is closed');
    watch.abandon?.();
    expect(released).toHaveLength(1);
  });

  it('an attempt abandoned with statements held drops them: a COMMIT after it sends nothing', async () => {
    const { client, sent, released } = recordingClient();
    const watch = manualWatch();
    const { run } = runner(client, { watch: watch as unknown as StallWatch });
    let direct: ReturnType<typeof directConnectionOf>;
    await run(async (tx) => {
      direct = directConnectionOf(tx);
      await direct?.run(INSERT_SQL, ['1', 'um']);
      watch.abandon?.();
    }).catch(() => undefined);
    expect(sent).toEqual([]);
    expect(released).toHaveLength(1);
    expect(direct?.begun).toBe(false);
  });

  it('gives statements straight to the connection only on a handle without plugins', async () => {
    const plain = recordingClient();
    await runner(plain.client).run(async (tx) => expect(directConnectionOf(tx)).toBeDefined());
    const withPlugin = recordingClient();
    await runner(withPlugin.client, { plugins: true }).run(async (tx) => expect(directConnectionOf(tx)).toBeUndefined());
    expect(directConnectionOf({})).toBeUndefined();
  });

  it('says when BEGIN has gone, so only then is a ROLLBACK owed', async () => {
    const { client } = recordingClient();
    const seen: boolean[] = [];
    await runner(client).run(async (tx) => {
      const direct = directConnectionOf(tx);
      seen.push(direct?.begun ?? true);
      await direct?.run(INSERT_SQL, ['1', 'um']);
      seen.push(direct?.begun ?? true);
      await selectNote(tx, 'a');
      seen.push(direct?.begun ?? false);
    });
    expect(seen).toEqual([false, false, true]);
  });

  it('refuses to stream a query inside a write transaction', async () => {
    const { client, sent } = recordingClient();
    await expect(
      runner(client).run(async (tx) => {
        for await (const row of tx.selectFrom('notes').select('id').stream()) return row;
        return undefined;
      }),
    ).rejects.toThrow('streaming is not available inside a write transaction');
    expect(sent).toEqual([]);
  });

  it('runs without a query listener: held, unread, binary and rolled back statements alike', async () => {
    const { client, sent, released } = recordingClient();
    const { kysely, props } = compilerOnly();
    const run = postgresTransactions(kysely, props, () => Promise.resolve(client), 5_000);
    await run(async (tx: Transaction<Tables>) => {
      await directConnectionOf(tx)?.run(INSERT_SQL, ['1', 'um']);
      await selectNote(tx, 'a');
      await directConnectionOf(tx)?.run(INSERT_SQL, ['2', 'dois']);
    });
    expect(sent).toHaveLength(2);
    const failure = new Error('refused');
    await expect(
      run(async (tx: Transaction<Tables>) => {
        await directConnectionOf(tx)?.run(INSERT_SQL, ['3', Buffer.from('três')]);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(sent.slice(2).map((m) => m.sql)).toEqual([BEGIN, INSERT_SQL, 'rollback']);
    expect(released).toEqual([undefined, undefined]);
  });

  it('once BEGIN went, sends the statements held with the next query, or ahead of it when it has no literal form', async () => {
    const { client, sent } = recordingClient();
    const { run } = runner(client);
    const binary = Buffer.from('abc');
    await run(async (tx) => {
      await selectNote(tx, 'a');
      await directConnectionOf(tx)?.run(INSERT_SQL, ['1', 'um']);
      await selectNote(tx, 'b');
      await directConnectionOf(tx)?.run(INSERT_SQL, ['2', 'dois']);
      await sql`select ${binary} as data`.execute(tx);
    });
    expect(sent).toEqual([
      { sql: `${BEGIN};\nselect "title" from "notes" where "id" = 'a'` },
      { sql: `insert into "notes" ("id", "title") values ('1', 'um');\nselect "title" from "notes" where "id" = 'b'` },
      { sql: `insert into "notes" ("id", "title") values ('2', 'dois')` },
      { sql: 'select $1 as data', parameters: [binary] },
      { sql: 'commit' },
    ]);
  });

  it('refuses a kept handle while the ROLLBACK of its failed transaction is on its way', async () => {
    const { client, sent, answer } = clientHolding('rollback');
    const { run } = runner(client);
    let kept: Transaction<Tables> | undefined;
    const done = run(async (tx) => {
      kept = tx;
      await selectNote(tx, 'a');
      throw new Error('the callback failed');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.at(-1)).toBe('rollback');
    await expect(selectNote(kept as Transaction<Tables>, 'b')).rejects.toThrow(/already ended/);
    answer();
    await expect(done).rejects.toThrow('the callback failed');
    expect(sent).toHaveLength(2);
  });
});
