import { Writable } from 'node:stream';
import os from 'node:os';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { pino } from 'pino';
import { createLogger, isoTimestamp } from './create-logger.js';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { stream, lines };
}

describe('logger redaction', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'robusto-log-'));
  const secretKey = 'k'.repeat(20) + 'SECRETVALUE-0123456789';
  const { config } = loadConfig({ SECRET_KEY: secretKey }, { cwd, ignoreDotEnv: true });

  it('masks CPF, CNPJ, passwords, tokens, authorization and the secret key', async () => {
    const { stream, lines } = capture();
    const log = await createLogger(config, { destination: stream });
    log.info(
      {
        customer: { cpf: '529.982.247-25', bareCpf: '52998224725', cnpj: '11.222.333/0001-81', bareCnpj: '11222333000181' },
        password: 'hunter2-hunter2',
        nested: { deeper: { newPassword: 'p@ss"word', accessToken: 'eyJhbGciOi.abc.def' } },
        headers: { authorization: 'Bearer abc.def.ghi' },
        note: `the key is ${secretKey}`,
        err: new Error('duplicate key: Key (document)=(52998224725) already exists'),
        url: '/api/x?token=tok-secret-1&q=1',
        numericCpf: 52998224725,
        responseTime: 8.12345678901234,
        tokens: { refresh: 'refresh-secret-xyz' },
        message: 'login failed for password=hunter3 and api_key: AKIA999',
      },
      'customer saved',
    );
    const out = lines.join('');
    for (const leaked of [
      '529.982.247-25',
      '52998224725',
      '11.222.333/0001-81',
      '11222333000181',
      'hunter2',
      'p@ss',
      'eyJhbGciOi',
      'abc.def.ghi',
      'tok-secret-1',
      'hunter3',
      'AKIA999',
      'refresh-secret-xyz',
      secretKey,
    ]) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain('customer saved');
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('[DOCUMENT]');
    const parsed = JSON.parse(out);
    expect(parsed.responseTime).toBe(8.12345678901234);
    expect(parsed.numericCpf).toBe('[DOCUMENT]');
  });

  it('keeps child bindings (module, tenant) on each line', async () => {
    const { stream, lines } = capture();
    const log = await createLogger(config, { destination: stream });
    log.child({ module: 'customers', tenantId: 't1' }).warn('write journaled');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ module: 'customers', tenantId: 't1', msg: 'write journaled', level: 40 });
  });
});

describe('isoTimestamp', () => {
  it('writes what pino.stdTimeFunctions.isoTime writes, across seconds, days, years and leap days', () => {
    const base = [Date.UTC(2026, 11, 1, 19, 20, 0, 0), Date.UTC(2024, 1, 29, 23, 59, 59, 0), Date.UTC(1999, 11, 31, 23, 59, 59, 0), 0];
    for (const start of base) {
      for (const offset of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000, 86_399_999]) {
        const now = start + offset;
        const expected = `,"time":"${new Date(now).toISOString()}"`;
        expect(isoTimestamp(now), String(now)).toBe(expected);
      }
    }
    // And the default (now) in the same form as pino's own.
    expect(isoTimestamp()).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
    expect(pino.stdTimeFunctions.isoTime()).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
  });
});
