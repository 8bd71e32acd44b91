import { describe, expect, it, vi } from 'vitest';
import { cannotOpenFault, isStorageError, journalFaultOf } from './fault.js';

const coded = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('journalFaultOf', () => {
  it.each(['SQLITE_FULL', 'ENOSPC', 'EDQUOT'])('names %s a full disk, with what to do', (code) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-02T03:04:05.000Z'));
    try {
      expect(journalFaultOf(coded(code, 'database or disk is full'), '/data/journal.db', '/data')).toEqual({
        reason: 'disk-full',
        code,
        detail: `the disk holding DATA_DIR (/data) is full; free space on it: the journal takes writes again by itself within seconds (${code}: database or disk is full)`,
        since: '2026-01-02T03:04:05.000Z',
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('names any other error by its code and message', () => {
    expect(journalFaultOf(coded('SQLITE_IOERR_WRITE', 'disk I/O error'), '/data/journal.db', '/data')).toMatchObject({
      reason: 'write-failed',
      code: 'SQLITE_IOERR_WRITE',
      detail: 'the journal could not write its file /data/journal.db (SQLITE_IOERR_WRITE: disk I/O error)',
    });
    expect(journalFaultOf(new Error('odd'), '/data/journal.db', '/data')).toMatchObject({
      reason: 'write-failed',
      code: undefined,
      detail: 'the journal could not write its file /data/journal.db (odd)',
    });
    expect(journalFaultOf('not an error', '/data/journal.db', '/data').detail).toBe('the journal could not write its file /data/journal.db (not an error)');
  });
});

describe('cannotOpenFault', () => {
  it('says the file cannot be opened, keeping the code', () => {
    expect(cannotOpenFault(coded('SQLITE_CANTOPEN', 'unable to open database file'), '/data/journal.db', '/data')).toMatchObject({
      reason: 'cannot-open',
      code: 'SQLITE_CANTOPEN',
      detail: 'cannot open /data/journal.db: unable to open database file',
      since: expect.any(String),
    });
    expect(cannotOpenFault('gone', '/data/journal.db', '/data')).toMatchObject({
      reason: 'cannot-open',
      code: undefined,
      detail: 'cannot open /data/journal.db: gone',
    });
  });

  it('still names a full disk as such', () => {
    expect(cannotOpenFault(coded('ENOSPC'), '/data/journal.db', '/data')).toMatchObject({ reason: 'disk-full', code: 'ENOSPC' });
  });
});

describe('isStorageError', () => {
  it.each([
    'SQLITE_FULL',
    'ENOSPC',
    'EDQUOT',
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_READONLY',
    'SQLITE_READONLY_DBMOVED',
    'SQLITE_CANTOPEN',
    'SQLITE_CORRUPT',
    'SQLITE_NOTADB',
    'SQLITE_PERM',
    'EIO',
    'EROFS',
    'EACCES',
    'EPERM',
  ])('%s is an error of the file', (code) => {
    expect(isStorageError(coded(code))).toBe(true);
  });

  it.each(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CONSTRAINT_UNIQUE', 'ENOENT', 'EIO2', 'X_SQLITE_IOERR'])('%s is not', (code) => {
    expect(isStorageError(coded(code))).toBe(false);
  });

  it('is false for an error without a code', () => {
    expect(isStorageError(new Error('disk I/O error'))).toBe(false);
    expect(isStorageError(undefined)).toBe(false);
  });
});
