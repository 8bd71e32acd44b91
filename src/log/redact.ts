import { maskDocuments } from '../shared/documents.js';

/** The text a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

// A JSON member whose key names a secret, at any depth, with a scalar value.
const SENSITIVE_MEMBER =
  /"([^"\\]*(?:password|passwd|secret|token|authorization|cookie|api[-_]?key)[^"\\]*)":("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)/gi;

// `password=…`, `token: …` inside free text (error messages, URLs' query strings).
const SENSITIVE_ASSIGNMENT = /\b(password|passwd|pwd|secret|token|api[-_]?key)(\s*[=:]\s*)(?!\[REDACTED\])([^\s"',;&]+)/gi;

/**
 * Returns a function that masks secrets in one serialized JSON log line: values of members
 * whose key names a password, token, secret, authorization or cookie; the configured secret
 * key wherever it appears; and every CPF or CNPJ inside any string.
 *
 * It works on the final line rather than on objects, so nothing escapes it: not a nested field,
 * not an error message from the database driver, not a URL's query string.
 */
export function createLineRedactor(secrets: string[]): (line: string) => string {
  const literals = secrets.filter((s) => s.length >= 8);
  return (line) => {
    let out = line.replace(SENSITIVE_MEMBER, `"$1":"${REDACTED}"`).replace(SENSITIVE_ASSIGNMENT, `$1$2${REDACTED}`);
    for (const secret of literals) out = out.replaceAll(secret, REDACTED);
    return maskDocuments(out);
  };
}
