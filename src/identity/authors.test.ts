import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import type { AuthoredWrite, Command } from '../resilience/command.js';
import { replayAuthorCheck } from './authors.js';

const WRITE = { name: 'notes.create' } as Command<unknown, unknown>;
const DELETE = { name: 'notes.delete', permission: 'delete' } as Command<unknown, unknown>;

describe('replayAuthorCheck', () => {
  let sqlite: SqliteDatabase.Database;
  let kysely: Kysely<unknown>;
  let reads: string[];
  let db: Database;

  beforeEach(() => {
    sqlite = new SqliteDatabase(':memory:');
    sqlite.exec('create table users (id text primary key, tenant_id text, email text, role text, active integer, token_epoch integer)');
    const insert = sqlite.prepare('insert into users values (?, ?, ?, ?, ?, ?)');
    insert.run('u-staff', 't1', 'staff@example.com', 'staff', 1, 3);
    insert.run('u-viewer', 't1', 'viewer@example.com', 'viewer', 1, 0);
    insert.run('u-admin', 't1', 'admin@example.com', 'admin', 1, 0);
    insert.run('u-off', 't1', 'off@example.com', 'admin', 0, 0);
    reads = [];
    kysely = new Kysely({ dialect: new SqliteDialect({ database: sqlite }), log: (event) => void reads.push(event.query.sql) });
    db = { kysely } as unknown as Database;
  });

  afterEach(() => kysely.destroy());

  const entry = (userId: string | null, tokenEpoch: number | null = 0, tenantId = 't1'): AuthoredWrite => ({ tenantId, userId, tokenEpoch });

  it('lets the system’s own writes through without reading the database', async () => {
    const verdict = await replayAuthorCheck(db)([entry(null), entry(null)]);
    expect(reads).toEqual([]);
    expect(verdict(entry(null), DELETE)).toBeUndefined();
  });

  it('reads every author once, whatever the number of their writes', async () => {
    await replayAuthorCheck(db)([entry('u-staff', 3), entry('u-staff', 3), entry('u-admin'), entry(null)]);
    expect(reads).toHaveLength(1);
  });

  it('passes an active author whose role still has the command’s permission', async () => {
    const verdict = await replayAuthorCheck(db)([entry('u-staff', 3), entry('u-admin')]);
    expect(verdict(entry('u-staff', 3), WRITE)).toBeUndefined();
    expect(verdict(entry('u-staff', 4), WRITE)).toBeUndefined();
    expect(verdict(entry('u-staff', null), WRITE)).toBeUndefined();
    expect(verdict(entry('u-admin'), DELETE)).toBeUndefined();
  });

  it('refuses a role that lacks the permission (write by default)', async () => {
    const verdict = await replayAuthorCheck(db)([entry('u-viewer'), entry('u-staff', 3)]);
    const viewer = verdict(entry('u-viewer'), WRITE);
    expect(viewer).toMatchObject({ code: 'ERR_REPLAY_FORBIDDEN', status: 403, extensions: { userId: 'u-viewer', permission: 'write', reason: 'role' } });
    expect(viewer?.detail).toContain('viewer@example.com');
    expect(viewer?.detail).toContain('now has the role "viewer"');
    expect(verdict(entry('u-staff', 3), DELETE)).toMatchObject({ extensions: { permission: 'delete', reason: 'role' } });
  });

  it('refuses a deactivated author', async () => {
    const verdict = await replayAuthorCheck(db)([entry('u-off')]);
    const refused = verdict(entry('u-off'), WRITE);
    expect(refused).toMatchObject({ code: 'ERR_REPLAY_FORBIDDEN', extensions: { reason: 'deactivated' } });
    expect(refused?.detail).toBe('Not applied: the user who sent it (off@example.com) was deactivated after sending it. It needs the "write" permission.');
  });

  it('refuses a write whose token was revoked since (an older token epoch)', async () => {
    const verdict = await replayAuthorCheck(db)([entry('u-staff', 2)]);
    const refused = verdict(entry('u-staff', 2), WRITE);
    expect(refused).toMatchObject({ extensions: { userId: 'u-staff', reason: 'token-revoked' } });
    expect(refused?.detail).toContain('(staff@example.com) signed out, or had the password changed, after the token that sent it was issued');
  });

  it('refuses an author gone, or of another tenant, naming them by id', async () => {
    const verdict = await replayAuthorCheck(db)([entry('u-gone'), entry('u-admin', 0, 't2')]);
    const gone = verdict(entry('u-gone'), WRITE);
    expect(gone).toMatchObject({ extensions: { userId: 'u-gone', reason: 'user-gone' } });
    expect(gone?.detail).toBe('Not applied: the user who sent it (u-gone) no longer exists in this tenant. It needs the "write" permission.');
    expect(verdict(entry('u-admin', 0, 't2'), WRITE)).toMatchObject({ extensions: { reason: 'user-gone' } });
  });
});
