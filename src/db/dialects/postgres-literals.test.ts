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
});
