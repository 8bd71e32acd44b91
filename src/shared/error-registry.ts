import { en } from './i18n/en.js';
import type { CatalogueCode } from './i18n/catalogue.js';

/**
 * The one registry of robusto's error codes. Every part that answers with a code (the kernel,
 * each module's `*.errors.ts`, backups, jobs, the journal) defines its codes here, with the HTTP
 * status they are answered with; their title and meaning, in each language, are in the
 * catalogues of `src/shared/i18n/` (a code without them does not compile). `docs/errors.md` is
 * rendered from it and a test checks each code is unique, well formed and documented.
 *
 * Clients and scripts rely on the code strings: never rename one.
 */

/** One error code and what it means. */
export interface ErrorEntry {
  /** The stable code, `ERR_<AREA>_<WHAT>`. */
  readonly code: string;
  /** The HTTP status it is answered with; undefined for one that never reaches HTTP (a command's or the log's). */
  readonly status: number | undefined;
  /** Who defines it: `kernel`, a module's name, or an area of operations (`backup`, `jobs`…). */
  readonly owner: string;
  /** What happened, and what the caller can do about it (in English; `meaningIn` gives it in another language). */
  readonly meaning: string;
}

/** What {@link defineErrors} takes for each code: the code, which the catalogues must give a title and a meaning, and its HTTP status. */
export interface ErrorSpec {
  readonly code: CatalogueCode;
  readonly status?: number;
}

/**
 * `ERR_`, then upper-case words joined by `_`: the area, then what went wrong. The kernel's
 * general codes (`ERR_VALIDATION`, `ERR_INTERNAL`, `ERR_TIMEOUT`) are the area alone.
 */
export const ERROR_CODE_PATTERN = /^ERR_[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

const registry = new Map<string, ErrorEntry>();

/**
 * Registers `owner`'s error codes and returns them by name (`CustomerError.NOT_FOUND` →
 * `'ERR_CUSTOMER_NOT_FOUND'`), so call sites keep naming a constant, never a string.
 *
 * @throws {Error} for a malformed code, or one another owner (or another status) already defined.
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(owner: string, errors: T): { readonly [K in keyof T]: T[K]['code'] } {
  const codes: Record<string, string> = {};
  for (const [name, spec] of Object.entries(errors)) {
    if (!ERROR_CODE_PATTERN.test(spec.code)) throw new Error(`error code ${spec.code} (${owner}) is malformed: use ERR_<AREA>_<WHAT> in upper case`);
    if (!Object.hasOwn(en.codes, spec.code))
      throw new Error(`error code ${spec.code} (${owner}) has no title and meaning in src/shared/i18n/: add them to each catalogue`);
    const known = registry.get(spec.code);
    // NB: a module imported twice (another copy of its file) registers the same codes again.
    if (known && (known.owner !== owner || known.status !== spec.status)) {
      throw new Error(`error code ${spec.code} is defined twice, by ${known.owner} and by ${owner}: give one of them another code`);
    }
    registry.set(spec.code, { code: spec.code, status: spec.status, owner, meaning: en.codes[spec.code].meaning });
    codes[name] = spec.code;
  }
  return codes as { readonly [K in keyof T]: T[K]['code'] };
}

/** Every code registered so far, sorted by owner then code. */
export function registeredErrors(): ErrorEntry[] {
  return [...registry.values()].sort((a, b) => a.owner.localeCompare(b.owner) || a.code.localeCompare(b.code));
}

/** The entry of `code`, or undefined when no part of robusto (or no module loaded) registered it. */
export function errorEntryOf(code: string): ErrorEntry | undefined {
  return registry.get(code);
}

/**
 * A code a route names in its `config.errors`: one of the registry, or, for a module outside it
 * (a file of `ROBUSTO_MODULES`, whose codes have no catalogue entries), the code with the status
 * it is answered with and, optionally, what it means.
 */
export type RouteErrorSpec = string | { readonly code: string; readonly status: number; readonly meaning?: string };

/**
 * The entry a route's `config.errors` item stands for, `owner` being the route's module; undefined
 * for a code nobody registered, a malformed code, a status that is not a 4xx or 5xx, or a
 * registered code given another status than its own.
 */
export function routeErrorEntry(spec: RouteErrorSpec, owner: string): ErrorEntry | undefined {
  if (typeof spec === 'string') return registry.get(spec);
  if (!ERROR_CODE_PATTERN.test(spec.code) || !Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599) return undefined;
  const known = registry.get(spec.code);
  if (known) return known.status === spec.status ? known : undefined;
  return { code: spec.code, status: spec.status, owner, meaning: spec.meaning ?? '' };
}
