import { isLocalText, render, text, type LocalText } from '../shared/i18n/translate.js';

/**
 * What `target_session_attrs` may ask of a server, as libpq defines them: `any` takes the first
 * host that answers; `read-write` one that accepts writes (a primary whose
 * `default_transaction_read_only` is off); `read-only` the converse; `primary` one not in
 * recovery; `standby` one in recovery; `prefer-standby` a standby if any host is one, else any.
 */
export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;

/** One of {@link TARGET_SESSION_ATTRS}. */
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];

/** The port a host without one is reached on, as libpq does. */
export const DEFAULT_POSTGRES_PORT = 5432;

/** One server of a `DATABASE_URL`: a host name, an IP address, or a Unix socket directory (starting with `/`). */
export interface DatabaseHost {
  host: string;
  port: number;
}

/** A `DATABASE_URL` taken apart: the servers to try, in order, and what a server must be to be used. */
export interface DatabaseTarget {
  /** The hosts in the order they are tried; empty when the URL names none (node-postgres's defaults apply). */
  hosts: DatabaseHost[];
  targetSessionAttrs: TargetSessionAttrs;
  /**
   * The URL for node-postgres, which knows one host only: the first host, without
   * `target_session_attrs` and the `host` and `port` parameters, with everything else (user,
   * password, database, other parameters) as given. Each connection is then pointed at the host
   * it tries.
   */
  connectionString: string;
  /** True when the URL asks for more than node-postgres does alone: several hosts, or a `target_session_attrs` other than `any`. */
  needsHostChoice: boolean;
}

const SCHEME = /^(postgres(?:ql)?):\/\//;
const PORT = /^[0-9]{1,5}$/;

/**
 * Takes a PostgreSQL connection URL apart as libpq does: several `host[:port]` separated by
 * commas (`postgres://db1:5432,db2:5433/erp`), IPv6 addresses in brackets, the `host` and `port`
 * query parameters (comma-separated lists too; they win over the URL's own), and
 * `target_session_attrs`. A host without a port gets the `port` parameter's (one port for every
 * host, or one per host), else 5432.
 *
 * @returns the parts, or why the URL is not usable, in English (the configuration's problem line uses {@link readDatabaseUrl}).
 */
export function parseDatabaseUrl(url: string): DatabaseTarget | string {
  const target = readDatabaseUrl(url);
  return isLocalText(target) ? render('en', target) : target;
}

/** {@link parseDatabaseUrl}, saying why a URL is not usable in the reader's language (a phrase for the configuration's problem line). */
export function readDatabaseUrl(url: string): DatabaseTarget | LocalText {
  const scheme = SCHEME.exec(url);
  if (!scheme) return text('config.reason.url.scheme');
  const rest = url.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? undefined : authority.slice(0, at);
  const hostspec = at === -1 ? authority : authority.slice(at + 1);

  const queryStart = tail.indexOf('?');
  const fragmentStart = tail.indexOf('#');
  const pathEnd = queryStart !== -1 ? queryStart : fragmentStart !== -1 ? fragmentStart : tail.length;
  const dbPath = tail.slice(0, pathEnd);
  const query = new URLSearchParams(queryStart === -1 ? '' : tail.slice(queryStart + 1, fragmentStart > queryStart ? fragmentStart : undefined));

  const fromUrl = hostspec === '' ? { hosts: [], ports: [] } : splitHostspec(hostspec);
  if (isLocalText(fromUrl)) return fromUrl;
  const hostParam = query.get('host');
  const portParam = query.get('port');
  const hosts = hostParam === null ? fromUrl.hosts : hostParam.split(',').map((h) => h.trim());
  const ports = portParam === null ? fromUrl.ports : portParam.split(',').map((p) => p.trim());

  const attrs = query.get('target_session_attrs') ?? 'any';
  if (!(TARGET_SESSION_ATTRS as readonly string[]).includes(attrs)) {
    return text('config.reason.url.sessionAttrs', { value: attrs, allowed: TARGET_SESSION_ATTRS.join(', ') });
  }
  const targetSessionAttrs = attrs as TargetSessionAttrs;
  const needsHostChoice = hosts.length > 1 || targetSessionAttrs !== 'any';
  if (hosts.length > 1 && hosts.some((h) => h === '')) return text('config.reason.url.emptyHost');
  if (needsHostChoice && (hosts.length === 0 || hosts[0] === '')) return text('config.reason.url.sessionAttrsNeedHost', { value: targetSessionAttrs });
  if (ports.length > 1 && ports.length !== hosts.length) return text('config.reason.url.portCount', { ports: ports.length, hosts: hosts.length });
  for (const port of ports) {
    if (port !== '' && !(PORT.test(port) && Number(port) >= 1 && Number(port) <= 65535)) return text('config.reason.url.port', { port });
  }
  const portOf = (i: number): number => {
    const given = ports.length === 1 ? ports[0] : ports[i];
    return given === undefined || given === '' ? DEFAULT_POSTGRES_PORT : Number(given);
  };
  const parsedHosts = hosts.map((host, i) => ({ host, port: portOf(i) })).filter((h) => h.host !== '');

  const kept = new URLSearchParams(query);
  for (const name of ['host', 'port', 'target_session_attrs']) kept.delete(name);
  const first = parsedHosts[0];
  const connectionString = needsHostChoice
    ? `${scheme[1]}://${userinfo === undefined ? '' : `${userinfo}@`}${first ? `${encodeHost(first.host)}:${first.port}` : ''}${dbPath}${kept.size > 0 ? `?${kept.toString()}` : ''}`
    : url;
  return { hosts: parsedHosts, targetSessionAttrs, connectionString, needsHostChoice };
}

/** The `host[:port],…` of a URL as two lists of the same length (a missing port is ''). */
function splitHostspec(hostspec: string): { hosts: string[]; ports: string[] } | LocalText {
  const hosts: string[] = [];
  const ports: string[] = [];
  for (const entry of hostspec.split(',')) {
    let host: string;
    let port: string;
    if (entry.startsWith('[')) {
      const close = entry.indexOf(']');
      const after = close === -1 ? '' : entry.slice(close + 1);
      if (close === -1 || (after !== '' && !after.startsWith(':'))) return text('config.reason.url.ipv6', { entry });
      host = entry.slice(1, close);
      port = after.slice(1);
    } else {
      const parts = entry.split(':');
      if (parts.length > 2) return text('config.reason.url.colons', { entry });
      host = parts[0] ?? '';
      port = parts[1] ?? '';
    }
    try {
      hosts.push(decodeURIComponent(host));
    } catch {
      return text('config.reason.url.escape', { host });
    }
    ports.push(port);
  }
  return { hosts, ports };
}

/** A host as it goes in a URL: IPv6 addresses in brackets, anything else (a socket directory) percent-encoded. */
function encodeHost(host: string): string {
  return host.includes(':') ? `[${host}]` : encodeURIComponent(host);
}
