import { describe, expect, it } from 'vitest';
import { maskSecrets, REDACTED, redactUrlPassword } from './secrets.js';

describe('maskSecrets', () => {
  it('masks the declared fields and any member named like a secret, at any depth; leaves the rest and the original alone', () => {
    const payload = { email: 'a@b.c', pin: '1234', nested: { apiKey: 'k', list: [{ token: 't', ok: 1 }] }, passwordHash: null };
    expect(maskSecrets(payload, ['pin'])).toEqual({
      email: 'a@b.c',
      pin: REDACTED,
      nested: { apiKey: REDACTED, list: [{ token: REDACTED, ok: 1 }] },
      passwordHash: null,
    });
    expect(payload.pin).toBe('1234');
  });

  it('a declared field is a top-level one: the same name deeper is left alone unless it reads as a secret', () => {
    expect(maskSecrets({ pin: 'x', inner: { pin: 'y' } }, ['pin'])).toEqual({ pin: REDACTED, inner: { pin: 'y' } });
  });

  it('passes values that are not objects through', () => {
    expect(maskSecrets('text', ['a'])).toBe('text');
    expect(maskSecrets(null)).toBeNull();
  });
});

describe('redactUrlPassword', () => {
  it('hides the password before the hosts and in the password parameter, nothing else', () => {
    expect(redactUrlPassword('postgres://robusto:s3cret@db1:5432,db2/erp')).toBe('postgres://robusto:***@db1:5432,db2/erp');
    expect(redactUrlPassword('postgres://robusto@db1/erp?password=s3cret&sslmode=require')).toBe('postgres://robusto@db1/erp?password=***&sslmode=require');
    expect(redactUrlPassword('postgres://db1:5432/erp')).toBe('postgres://db1:5432/erp');
  });
});
