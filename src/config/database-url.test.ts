import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, type DatabaseTarget } from './database-url.js';

function parsed(url: string): DatabaseTarget {
  const target = parseDatabaseUrl(url);
  if (typeof target === 'string') throw new Error(`expected ${url} to parse: ${target}`);
  return target;
}

describe('parseDatabaseUrl', () => {
  it('leaves a one-host URL to node-postgres as it is', () => {
    const url = 'postgres://robusto:s3cret@db.example:6432/erp?sslmode=require';
    expect(parsed(url)).toEqual({
      hosts: [{ host: 'db.example', port: 6432 }],
      targetSessionAttrs: 'any',
      connectionString: url,
      needsHostChoice: false,
    });
    expect(parsed('postgresql://u@h/db')).toMatchObject({ hosts: [{ host: 'h', port: 5432 }], needsHostChoice: false });
    expect(parsed('postgres:///db?host=/var/run/postgresql')).toMatchObject({ hosts: [{ host: '/var/run/postgresql', port: 5432 }], needsHostChoice: false });
    expect(parsed('postgres:///db')).toMatchObject({ hosts: [], needsHostChoice: false });
  });

  it('takes several hosts apart, in order, each with its port or 5432', () => {
    const target = parsed('postgres://robusto:s3cret@db1:5432,db2,10.0.0.3:5434/erp?target_session_attrs=read-write&application_name=x');
    expect(target.hosts).toEqual([
      { host: 'db1', port: 5432 },
      { host: 'db2', port: 5432 },
      { host: '10.0.0.3', port: 5434 },
    ]);
    expect(target.targetSessionAttrs).toBe('read-write');
    expect(target.needsHostChoice).toBe(true);
    // node-postgres gets one host, without the parameters it does not know
    expect(target.connectionString).toBe('postgres://robusto:s3cret@db1:5432/erp?application_name=x');
  });

  it('reads IPv6 addresses in brackets, and percent-encoded socket directories', () => {
    expect(parsed('postgres://[::1]:5433,[fe80::2]/db').hosts).toEqual([
      { host: '::1', port: 5433 },
      { host: 'fe80::2', port: 5432 },
    ]);
    expect(parsed('postgres://[::1]:5433,[fe80::2]/db').connectionString).toBe('postgres://[::1]:5433/db');
    const sockets = parsed('postgres://u@%2Frun%2Fpg,db2/erp');
    expect(sockets.hosts).toEqual([
      { host: '/run/pg', port: 5432 },
      { host: 'db2', port: 5432 },
    ]);
    expect(sockets.connectionString).toBe('postgres://u@%2Frun%2Fpg:5432/erp');
  });

  it('takes the host and port parameters as libpq does: lists, winning over the URL, one port for all or one each', () => {
    expect(parsed('postgres://u@/erp?host=db1,db2&port=5433').hosts).toEqual([
      { host: 'db1', port: 5433 },
      { host: 'db2', port: 5433 },
    ]);
    expect(parsed('postgres://u@ignored:1/erp?host=db1,db2&port=5433,5434').hosts).toEqual([
      { host: 'db1', port: 5433 },
      { host: 'db2', port: 5434 },
    ]);
    // the URL's ports stay with the parameter's hosts
    expect(parsed('postgres://u@a:6001,b:6002/erp?host=db1,db2').hosts).toEqual([
      { host: 'db1', port: 6001 },
      { host: 'db2', port: 6002 },
    ]);
    expect(parsed('postgres://u@db1,db2/erp?port=7000').hosts.map((h) => h.port)).toEqual([7000, 7000]);
    expect(parsed('postgres://u@db1,db2/erp?host=db1,db2&sslmode=disable').connectionString).toBe('postgres://u@db1:5432/erp?sslmode=disable');
  });

  it('knows every target_session_attrs of libpq; a single host with one other than any needs the choice too', () => {
    for (const attrs of ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby']) {
      expect(parsed(`postgres://db1,db2/erp?target_session_attrs=${attrs}`).targetSessionAttrs).toBe(attrs);
    }
    expect(parsed('postgres://db1/erp?target_session_attrs=read-write')).toMatchObject({ needsHostChoice: true, connectionString: 'postgres://db1:5432/erp' });
    expect(parsed('postgres://db1/erp?target_session_attrs=any').needsHostChoice).toBe(false);
  });

  it.each([
    ['mysql://db1/erp', 'it does not start with postgres:// or postgresql://'],
    ['postgres://db1,,db2/erp', 'its host list has an empty entry (two commas in a row, or one at an end)'],
    ['postgres://db1,db2,/erp', 'its host list has an empty entry (two commas in a row, or one at an end)'],
    ['postgres://db1:5432,db2:99999/erp', 'port "99999" is not a whole number from 1 to 65535'],
    ['postgres://db1:abc/erp', 'port "abc" is not a whole number from 1 to 65535'],
    ['postgres://db1,db2:0/erp', 'port "0" is not a whole number from 1 to 65535'],
    ['postgres://u@/erp?host=db1,db2,db3&port=1,2', 'it lists 2 ports for 3 host(s): give one port for all, or one per host'],
    [
      'postgres://db1,db2/erp?target_session_attrs=master',
      'target_session_attrs=master is not one of any, read-write, read-only, primary, standby, prefer-standby',
    ],
    ['postgres://::1:5432/erp', '"::1:5432" has more than one ":" (an IPv6 address goes in brackets: [::1]:5432)'],
    ['postgres://[::1/erp', '"[::1" is not an IPv6 address in brackets, with an optional :port'],
    ['postgres://[::1]x,db2/erp', '"[::1]x" is not an IPv6 address in brackets, with an optional :port'],
    ['postgres://%zz,db2/erp', '"%zz" is not a valid host (a bad % escape)'],
    ['postgres:///erp?target_session_attrs=read-write', 'target_session_attrs=read-write needs the host named in the URL'],
  ])('refuses %s: %s', (url, why) => {
    expect(parseDatabaseUrl(url)).toBe(why);
  });
});
