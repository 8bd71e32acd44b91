// The setup file strict-throw.ts: an expected message is not matched by nothing thrown.
/* eslint-disable @typescript-eslint/only-throw-error, @typescript-eslint/prefer-promise-reject-errors -- throwing and rejecting with nothing usable is the point */
import { describe, expect, it } from 'vitest';

const refused = /expected an error whose message matches/;

describe('toThrow with a message, under strict-throw', () => {
  it('fails when the function throws undefined or null', () => {
    expect(() =>
      expect(() => {
        throw undefined;
      }).toThrow(/ended/),
    ).toThrow(refused);
    expect(() =>
      expect(() => {
        throw null;
      }).toThrowError('ended'),
    ).toThrow(refused);
  });

  it('fails when the promise rejects with undefined or null', async () => {
    await expect(expect(Promise.reject(undefined)).rejects.toThrow(/ended/)).rejects.toThrow(refused);
    await expect(expect(Promise.reject(null)).rejects.toThrow('ended')).rejects.toThrow(refused);
  });

  it('still passes on an error with the message, once per call of the function, and still fails on another message', async () => {
    let calls = 0;
    expect(() => {
      calls++;
      throw new Error('it has ended');
    }).toThrow(/ended/);
    expect(calls).toBe(1);
    await expect(Promise.reject(new Error('it has ended'))).rejects.toThrow('ended');
    expect(() =>
      expect(() => {
        throw new Error('another');
      }).toThrow(/ended/),
    ).toThrow();
    expect(() => expect(() => undefined).toThrow(/ended/)).toThrow();
    expect(() => undefined).not.toThrow(/ended/);
  });
});
