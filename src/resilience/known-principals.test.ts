import SqliteDatabase from 'better-sqlite3';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KNOWN_PRINCIPAL_REFRESH_MS, KnownPrincipals, REMEMBERED_MAX, type KnownPrincipal } from './known-principals.js';

const ADA: KnownPrincipal = { userId: 'u-ada', tenantId: 't1', role: 'admin', email: 'ada@example.com', active: true, tokenEpoch: 2, installationAdmin: true };

describe('KnownPrincipals', () => {
  let dir: string;
  const open: KnownPrincipals[] = [];
  const knownIn = (dataDir: string | undefined) => {
    const known = new KnownPrincipals(dataDir);
    open.push(known);
    return known;
  };
  const seenAt = (userId: string) => {
    const db = new SqliteDatabase(path.join(dir, 'principals.db'), { readonly: true });
    try {
      return (db.prepare('select seen_at from principals where user_id = ?').get(userId) as { seen_at: string } | undefined)?.seen_at;
    } finally {
      db.close();
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'robusto-known-'));
  });

  afterEach(() => {
    vi.useRealTimers();
    for (const known of open.splice(0)) known.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps what it was told of a user, and nothing of others', () => {
    const known = knownIn(dir);
    expect(known.get('u-ada')).toBeUndefined();
    known.remember(ADA);
    expect(known.get('u-ada')).toEqual(ADA);
    known.remember({ ...ADA, userId: 'u-bob', active: false, installationAdmin: false, role: 'viewer', tokenEpoch: 0 });
    expect(known.get('u-bob')).toEqual({ ...ADA, userId: 'u-bob', active: false, installationAdmin: false, role: 'viewer', tokenEpoch: 0 });
    expect(known.get('u-ada')).toEqual(ADA);
  });

  it('keeps it on disk, private to its owner, for a process started later', () => {
    knownIn(dir).remember(ADA);
    expect(statSync(path.join(dir, 'principals.db')).mode & 0o777).toBe(0o600);
    expect(knownIn(dir).get('u-ada')).toEqual(ADA);
  });

  it('records every change at once', () => {
    const known = knownIn(dir);
    known.remember(ADA);
    for (const change of [
      { role: 'staff' as const },
      { active: false },
      { tokenEpoch: 3 },
      { installationAdmin: false },
      { email: 'ada@new.example' },
      { tenantId: 't2' },
    ]) {
      known.remember({ ...ADA, ...change });
      expect(known.get('u-ada')).toEqual({ ...ADA, ...change });
    }
  });

  it('writes an unchanged state again only after KNOWN_PRINCIPAL_REFRESH_MS', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00.000Z'));
    const known = knownIn(dir);
    known.remember(ADA);
    expect(seenAt('u-ada')).toBe('2026-01-01T00:00:00.000Z');
    vi.advanceTimersByTime(KNOWN_PRINCIPAL_REFRESH_MS - 1);
    known.remember(ADA);
    expect(seenAt('u-ada')).toBe('2026-01-01T00:00:00.000Z');
    vi.advanceTimersByTime(1);
    known.remember(ADA);
    expect(seenAt('u-ada')).toBe('2026-01-01T01:00:00.000Z');
  });

  it('remembers what it wrote of at most REMEMBERED_MAX users, starting over when full', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00.000Z'));
    const known = knownIn(dir);
    const user = (i: number): KnownPrincipal => ({ ...ADA, userId: `u-${i}` });
    for (let i = 0; i < REMEMBERED_MAX; i++) known.remember(user(i));
    vi.setSystemTime(new Date('2026-01-01T00:00:01.000Z'));
    // Still remembered as written: not written again.
    known.remember(user(0));
    expect(seenAt('u-0')).toBe('2026-01-01T00:00:00.000Z');
    // One more user: the memory starts over, so the next look-up of u-0 writes it again.
    known.remember(user(REMEMBERED_MAX));
    known.remember(user(0));
    expect(seenAt('u-0')).toBe('2026-01-01T00:00:01.000Z');
    // ...and the memory now holds them again.
    vi.setSystemTime(new Date('2026-01-01T00:00:02.000Z'));
    known.remember(user(0));
    expect(seenAt('u-0')).toBe('2026-01-01T00:00:01.000Z');
  });

  it('writes again what another process changed in between, once its own state changes', () => {
    const mine = knownIn(dir);
    const theirs = knownIn(dir);
    mine.remember(ADA);
    theirs.remember({ ...ADA, active: false });
    mine.remember({ ...ADA, active: false });
    mine.remember(ADA);
    expect(theirs.get('u-ada')).toEqual(ADA);
  });

  it('reads a file written before the installation role, its users without it', () => {
    const file = new SqliteDatabase(path.join(dir, 'principals.db'));
    file.exec(`create table principals (user_id text primary key, tenant_id text not null, role text not null, email text not null,
      active integer not null, token_epoch integer not null, seen_at text not null)`);
    file.prepare("insert into principals values ('u-ada', 't1', 'admin', 'ada@example.com', 1, 2, '2026-01-01T00:00:00.000Z')").run();
    file.close();
    const known = knownIn(dir);
    expect(known.get('u-ada')).toEqual({ ...ADA, installationAdmin: false });
    known.remember(ADA);
    expect(known.get('u-ada')).toEqual(ADA);
  });

  it('keeps users in memory without a data directory, or when the file cannot be opened', () => {
    const memory = knownIn(undefined);
    memory.remember(ADA);
    expect(memory.get('u-ada')).toEqual(ADA);
    const notADirectory = path.join(dir, 'a-file');
    writeFileSync(notADirectory, '');
    const fallback = knownIn(notADirectory);
    fallback.remember(ADA);
    expect(fallback.get('u-ada')).toEqual(ADA);
  });

  it('never throws when the file cannot be written, and tries again at the next look-up', () => {
    const known = knownIn(dir);
    known.remember(ADA);
    const locker = new SqliteDatabase(path.join(dir, 'principals.db'), { timeout: 0 });
    locker.exec('begin exclusive');
    try {
      expect(() => known.remember({ ...ADA, role: 'viewer' })).not.toThrow();
    } finally {
      locker.exec('rollback');
      locker.close();
    }
    expect(known.get('u-ada')?.role).toBe('admin');
    known.remember({ ...ADA, role: 'viewer' });
    expect(known.get('u-ada')?.role).toBe('viewer');
  });

  it('ignores what it is told once closed', () => {
    const known = knownIn(dir);
    known.close();
    expect(() => known.remember(ADA)).not.toThrow();
    expect(() => known.close()).not.toThrow();
    expect(knownIn(dir).get('u-ada')).toBeUndefined();
  });

  it('makes a file that already exists private too', () => {
    const file = path.join(dir, 'principals.db');
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    knownIn(dir).remember(ADA);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
