import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { bearerTokenOf } from './authenticate.js';

const withAuthorization = (authorization: unknown) => ({ headers: { authorization } }) as unknown as FastifyRequest;

describe('bearerTokenOf', () => {
  it('reads the token of an Authorization: Bearer header, whatever the case of the scheme', () => {
    expect(bearerTokenOf(withAuthorization('Bearer abc.def.ghi'))).toBe('abc.def.ghi');
    expect(bearerTokenOf(withAuthorization('bearer abc'))).toBe('abc');
    expect(bearerTokenOf(withAuthorization('BEARER   abc'))).toBe('abc');
  });

  it('has none without the header, or with another scheme', () => {
    expect(bearerTokenOf(withAuthorization(undefined))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization(['Bearer abc']))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('xBearer abc'))).toBeUndefined();
  });

  it('has none when the header holds anything besides one token', () => {
    expect(bearerTokenOf(withAuthorization('Bearer'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearer '))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearerabc'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearer abc def'))).toBeUndefined();
    expect(bearerTokenOf(withAuthorization('Bearer abc '))).toBeUndefined();
  });
});
