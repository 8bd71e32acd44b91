/** The text a secret value is replaced with wherever it would be shown. */
export const REDACTED = '[REDACTED]';

/** Names of members whose whole value is secret, at any depth (a password, its hash, a token, a key). */
export const SENSITIVE_KEY = /password|passwd|secret|token|authorization|cookie|api[-_]?key/i;

const MAX_DEPTH = 20;

function maskMembers(value: unknown, declared: ReadonlySet<string>, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => maskMembers(v, declared, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const secret = (depth === 0 && declared.has(key)) || SENSITIVE_KEY.test(key);
    out[key] = secret && member !== null && member !== undefined ? REDACTED : maskMembers(member, declared, depth + 1);
  }
  return out;
}

/**
 * A copy of a command's payload fit to show a person (the admin API, the CLI): the fields the
 * command declared secret, and any member whose name says it is one ({@link SENSITIVE_KEY}),
 * replaced by {@link REDACTED}. What is stored is unchanged: replay needs it whole.
 */
export function maskSecrets(payload: unknown, secretFields: readonly string[] = []): unknown {
  return maskMembers(payload, new Set(secretFields), 0);
}

/**
 * A connection URL fit to show (messages, logs, differences between settings): its password,
 * if it has one (before the host, or as the `password` parameter), replaced by `***`.
 */
export function redactUrlPassword(url: string | undefined): string {
  return (url ?? '').replace(/^([a-z]+:\/\/[^:@/?#]*):[^@/?#]*@/i, '$1:***@').replace(/([?&]password=)[^&#]*/i, '$1***');
}
