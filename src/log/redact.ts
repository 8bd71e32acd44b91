import { DOCUMENT_MASK, maskDocuments } from '../shared/documents.js';
import { REDACTED, SENSITIVE_KEY } from '../shared/secrets.js';
// `password=…`, `token: …` inside free text (error messages, URLs' query strings).
const SENSITIVE_ASSIGNMENT = /\b(password|passwd|pwd|secret|token|api[-_]?key)(\s*[=:]\s*)([^\s"',;&]+)/gi;
const MAX_DEPTH = 20;
// What a line must contain for redaction to have anything to do: a run of 11+ digits that is not
// a decimal fraction, the start of a formatted CPF/CNPJ, or a sensitive word. Most lines (request
// logs) have none and are written as they are, without the parse and re-serialization. NB: two
// expressions, the case-insensitive one without digits: together a third cheaper than one.
const MIGHT_HOLD_DOCUMENT = /(?<![\d.])\d{11}|\d{3}\.\d{3}\.\d{3}-|\d{2}\.\d{3}\.\d{3}\//;
const MIGHT_HOLD_SECRET = /passw|pwd|secret|token|authoriz|cookie|api[-_]?key/i;

function maskText(text: string, literals: string[]): string {
  let out = text.replace(SENSITIVE_ASSIGNMENT, `$1$2${REDACTED}`);
  for (const secret of literals) out = out.replaceAll(secret, REDACTED);
  return maskDocuments(out);
}

function isDocumentNumber(value: number): boolean {
  if (!Number.isInteger(value)) return false;
  const digits = String(Math.abs(value)).length;
  return digits === 11 || digits === 14;
}

function redactValue(value: unknown, literals: string[], depth: number): unknown {
  if (typeof value === 'string') return maskText(value, literals);
  if (typeof value === 'number') return isDocumentNumber(value) ? DOCUMENT_MASK : value;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, literals, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    out[key] = SENSITIVE_KEY.test(key) && member !== null && member !== undefined ? REDACTED : redactValue(member, literals, depth + 1);
  }
  return out;
}

/**
 * Returns a function that masks secrets in one serialized JSON log line: the value of any
 * member whose key names a password, token, secret, authorization or cookie; `password=…`-like
 * text; the configured secret key wherever it appears; and every CPF or CNPJ, formatted or bare,
 * in any string (or as an 11- or 14-digit number).
 *
 * It works on the final line, parsed, rather than on the logged objects, so nothing escapes it:
 * not a nested field, not an error message from the database driver, not a URL's query string;
 * and because it masks values, not raw text, the line stays valid JSON.
 */
export function createLineRedactor(secrets: string[]): (line: string) => string {
  const literals = secrets.filter((s) => s.length >= 8);
  return (line) => {
    if (!MIGHT_HOLD_DOCUMENT.test(line) && !MIGHT_HOLD_SECRET.test(line) && !literals.some((secret) => line.includes(secret))) return line;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return maskText(line, literals);
    }
    return `${JSON.stringify(redactValue(parsed, literals, 0))}\n`;
  };
}
