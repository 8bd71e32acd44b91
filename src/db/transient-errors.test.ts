import { describe, expect, it } from 'vitest';
import { errorCodeOf, savedNothing, isTransientError } from './transient-errors.js';

function withCode(code: string, message = 'x'): Error {
  return Object.assign(new Error(message), { code });
}

describe('isTransientError', () => {
  it.each([
    // class 08: connection exceptions
    '08000',
    '08003',
    '08006',
    '08001',
    '08004',
    '08007',
    '08P01',
    // class 53: insufficient resources
    '53000',
    '53100',
    '53200',
    '53300',
    '53400',
    // operator intervention (a server shutting down, starting up, in recovery) and concurrency
    '57P01',
    '57P02',
    '57P03',
    '57P05',
    '40001',
    '40P01',
    // a write that reached a standby (read-only SQL transaction), as during a failover
    '25006',
    // sockets
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    // SQLite
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_BUSY_RECOVERY',
    'SQLITE_LOCKED',
    'SQLITE_LOCKED_SHAREDCACHE',
  ])('%s is transient', (code) => {
    expect(isTransientError(withCode(code))).toBe(true);
  });

  it.each([
    '23505',
    '23503',
    '23502',
    '23514', // integrity constraints
    '22001',
    '22P02',
    '22007',
    '22003', // bad data
    '42P01',
    '42601',
    '42703', // missing table, syntax, missing column
    '57014', // query cancelled (statement timeout): the same query would time out again
    '40002',
    '25P02',
    'SQLITE_CONSTRAINT',
    'SQLITE_CONSTRAINT_UNIQUE',
    'SQLITE_ERROR',
    'SQLITE_READONLY',
    'SQLITE_CORRUPT',
    'ENOENT',
    'ERR_INVALID_ARG_TYPE',
  ])('%s is permanent', (code) => {
    expect(isTransientError(withCode(code))).toBe(false);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Query read timeout',
  ])('node-postgres "%s" is transient', (message) => {
    expect(isTransientError(new Error(message))).toBe(true);
  });

  it.each([
    ['25006', 'cannot execute INSERT in a read-only transaction'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P03', 'the database system is shutting down'],
    ['57P03', 'the database system is starting up'],
    ['57P03', 'the database system is not yet accepting connections'],
  ])('a failover\'s %s "%s" is transient', (code, message) => {
    expect(isTransientError(Object.assign(new Error(message), { code, severity: 'ERROR' }))).toBe(true);
  });

  it('keeps the neighbours of the read-only and shutdown codes permanent', () => {
    for (const code of ['25001', '25P01', '25P03', '57P04', '57000']) expect(isTransientError(withCode(code)), code).toBe(false);
  });

  it('looks through cause chains and AggregateErrors', () => {
    expect(isTransientError(new Error('wrapped', { cause: withCode('ECONNRESET') }))).toBe(true);
    expect(isTransientError(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]))).toBe(true);
    expect(isTransientError(new AggregateError([withCode('ECONNREFUSED'), withCode('23505')]))).toBe(false);
  });

  it('never calls an AppError transient, even with a transient cause', () => {
    const decided = Object.assign(new Error('outcome unknown', { cause: withCode('ECONNRESET') }), { name: 'AppError', code: 'ERR_WRITE_OUTCOME_UNKNOWN' });
    expect(isTransientError(decided)).toBe(false);
  });

  it('treats non-errors and plain errors as permanent', () => {
    expect(isTransientError(undefined)).toBe(false);
    expect(isTransientError('ECONNRESET')).toBe(false);
    expect(isTransientError(new Error('boom'))).toBe(false);
  });
});

describe('isTransientError, edge cases', () => {
  it.each(['ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ERR_DATABASE_STALLED', 'ERR_DATABASE_NO_HOST'])('%s is transient', (code) => {
    expect(isTransientError(withCode(code))).toBe(true);
  });

  it('knows "Client was closed and is not queryable" only at the start of the message', () => {
    expect(isTransientError(new Error('Client was closed and is not queryable'))).toBe(true);
    expect(isTransientError(new Error('after all: Connection terminated'))).toBe(false);
  });

  it('reads a SQLSTATE only as five upper-case letters or digits', () => {
    // "08" and "53" are classes of SQLSTATEs, not prefixes of any code.
    expect(isTransientError(withCode('0800'))).toBe(false);
    expect(isTransientError(withCode('080000'))).toBe(false);
    expect(isTransientError(withCode('53abc'))).toBe(false);
    expect(isTransientError(withCode('X08000'))).toBe(false);
    // SQLite's busy and locked codes are transient only as prefixes of the code.
    expect(isTransientError(withCode('X_SQLITE_BUSY'))).toBe(false);
    expect(isTransientError(withCode('X_SQLITE_LOCKED'))).toBe(false);
  });

  it('ignores a code that is not a string', () => {
    expect(isTransientError(Object.assign(new Error('x'), { code: 8006 }))).toBe(false);
    expect(isTransientError(Object.assign(new Error('x'), { code: null, message: 42 }))).toBe(false);
  });

  it('follows a cause chain five levels deep, not more', () => {
    const chain = (depth: number): unknown => (depth === 0 ? withCode('ECONNRESET') : new Error(`level ${depth}`, { cause: chain(depth - 1) }));
    expect(isTransientError(chain(5))).toBe(true);
    expect(isTransientError(chain(6))).toBe(false);
  });

  it('counts the levels of nested AggregateErrors toward the same limit', () => {
    const nested = (depth: number): unknown => (depth === 0 ? withCode('ECONNREFUSED') : new AggregateError([nested(depth - 1)]));
    expect(isTransientError(nested(5))).toBe(true);
    expect(isTransientError(nested(6))).toBe(false);
  });

  it('needs every error of an AggregateError, and at least one, to be transient', () => {
    expect(isTransientError(new AggregateError([]))).toBe(false);
    expect(isTransientError(Object.assign(new Error('x'), { errors: 'ECONNRESET' }))).toBe(false);
    expect(isTransientError(new AggregateError([withCode('23505'), withCode('ECONNREFUSED')]))).toBe(false);
    // An AggregateError that is not itself transient still is through its cause.
    expect(isTransientError(new AggregateError([withCode('23505')], 'x', { cause: withCode('ECONNRESET') }))).toBe(true);
  });
});

describe('errorCodeOf', () => {
  it('reads a string code, nothing else', () => {
    expect(errorCodeOf(withCode('23505'))).toBe('23505');
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 1 }))).toBeUndefined();
    expect(errorCodeOf(null)).toBeUndefined();
    expect(errorCodeOf(undefined)).toBeUndefined();
  });
});

describe('savedNothing', () => {
  it.each(['ECONNRESET', 'EPIPE'])('%s refused by the socket on write: the message never reached the server', (code) => {
    expect(savedNothing(Object.assign(withCode(code, `write ${code}`), { syscall: 'write' }))).toBe(true);
  });

  it('the same reset on read (after the message was written) is not known to have saved nothing', () => {
    expect(savedNothing(Object.assign(withCode('ECONNRESET', 'read ECONNRESET'), { syscall: 'read' }))).toBe(false);
  });

  it.each(['40001', '40P01', '40000', '25006'])('%s: the server answered that nothing was saved', (code) => {
    expect(savedNothing(withCode(code))).toBe(true);
  });

  it.each(['08006', '57P01', '53100', 'ECONNRESET', '23505'])('%s: not an answer that nothing was saved', (code) => {
    expect(savedNothing(withCode(code))).toBe(false);
  });

  it('a lost connection without a code is not a rollback', () => {
    expect(savedNothing(new Error('Connection terminated unexpectedly'))).toBe(false);
  });
});
