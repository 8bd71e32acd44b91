import { describe, expect, it } from 'vitest';
import { withLiterals } from './postgres-literals.js';

describe('withLiterals', () => {
  it('writes each value as quoted text of no declared type, as a parameter is sent', () => {
    expect(withLiterals('insert into "t" ("a", "b", "c", "d", "e") values ($1, $2, $3, $4, $5)', ['x', 42, true, null, 10n])).toBe(
      `insert into "t" ("a", "b", "c", "d", "e") values ('x', '42', 'true', null, '10')`,
    );
  });

  it('escapes quotes and backslashes, so a value can never end its literal', () => {
    expect(withLiterals('select $1', ["it's"])).toBe(`select 'it''s'`);
    expect(withLiterals('select $1', ["a\\'); drop table t; --"])).toBe(`select  E'a\\\\''); drop table t; --'`);
  });

  it('replaces $10 as one placeholder, and leaves a $1 inside quotes alone', () => {
    const values = Array.from({ length: 10 }, (_, i) => `v${i + 1}`);
    expect(withLiterals('select $10, $1', values)).toBe(`select 'v10', 'v1'`);
    expect(withLiterals(`select '$1', "$1", $1`, ['x'])).toBe(`select '$1', "$1", 'x'`);
  });

  it('gives up on a value without a safe literal form, or a placeholder without a value', () => {
    expect(withLiterals('select $1', ['nul\0byte'])).toBeUndefined();
    expect(withLiterals('select $1', [Buffer.from('x')])).toBeUndefined();
    expect(withLiterals('select $1', [{ json: true }])).toBeUndefined();
    expect(withLiterals('select $1', [new Date(0)])).toBeUndefined();
    expect(withLiterals('select $2', ['only one'])).toBeUndefined();
  });

  it('writes undefined as null, as node-postgres sends it', () => {
    expect(withLiterals('select $1, $2', [undefined, null])).toBe('select null, null');
  });

  it('reads every digit of a placeholder, 0 to 9, and placeholders next to each other or to punctuation', () => {
    const values = Array.from({ length: 9 }, (_, i) => i + 1);
    expect(withLiterals('select $9,$8,$1$2,($3)', values)).toBe(`select '9','8','1''2',('3')`);
  });

  it('leaves alone a $ not followed by a digit, and digits not after a $', () => {
    expect(withLiterals('select t1.a, $a, $, $$ from t t1 where x = $1', ['v'])).toBe(`select t1.a, $a, $, $$ from t t1 where x = 'v'`);
  });

  it('leaves alone placeholders inside a quoted literal or identifier of several characters', () => {
    expect(withLiterals(`select 'a $1 b', "c $1 d", $1`, ['x'])).toBe(`select 'a $1 b', "c $1 d", 'x'`);
    expect(withLiterals(`select 'it''s $1', $1`, ['x'])).toBe(`select 'it''s $1', 'x'`);
  });

  it('gives up on $0, which has no value', () => {
    expect(withLiterals('select $0', ['x'])).toBeUndefined();
  });
});
