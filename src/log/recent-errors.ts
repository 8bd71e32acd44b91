/** One error or fatal log line, as the admin sees it. */
export interface RecentError {
  time: string;
  level: 'error' | 'fatal';
  msg: string;
  /** The logged error's message, if the line carried one. */
  error: string | null;
  requestId: string | null;
  module: string | null;
  /** The tenant the line is about (a request's, a journaled write's); `null` for the installation's own. */
  tenantId: string | null;
}

/** How many error lines each process keeps. */
export const RECENT_ERRORS_KEPT = 50;

const LEVEL_NAMES: Record<number, RecentError['level']> = { 50: 'error', 60: 'fatal' };
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The last error and fatal lines this process wrote, already redacted (they are taken from the
 * log's final lines), for the admin (`GET /api/system/errors`), each with the tenant it is about
 * (a line's `tenantId` field) so a tenant's admin sees only theirs. In memory only: the log file
 * keeps everything.
 */
export class RecentErrors {
  readonly #items: RecentError[] = [];

  constructor(readonly capacity = RECENT_ERRORS_KEPT) {}

  /** Keeps `line` if it is an error or fatal line; any other line costs one string comparison. */
  note(line: string): void {
    // pino writes the level first: {"level":50,…
    if (!line.startsWith('{"level":5') && !line.startsWith('{"level":6')) return;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const level = LEVEL_NAMES[parsed.level as number];
    if (!level) return;
    const err = parsed.err as { message?: unknown } | undefined;
    this.#items.push({
      time: text(parsed.time) ?? new Date().toISOString(),
      level,
      msg: text(parsed.msg) ?? '',
      error: text(err?.message),
      requestId: text(parsed.requestId),
      module: text(parsed.module),
      tenantId: text(parsed.tenantId),
    });
    if (this.#items.length > this.capacity) this.#items.shift();
  }

  /**
   * Newest first: all of them, or with `tenantId` only the lines about that tenant (a tenant's
   * admin must not read another tenant's errors, nor the installation's own).
   */
  list(tenantId?: string): RecentError[] {
    const items = tenantId === undefined ? this.#items : this.#items.filter((e) => e.tenantId === tenantId);
    return [...items].reverse();
  }
}

const byLogger = new WeakMap<object, RecentErrors>();

/** Ties a root logger to the recent errors its lines feed. */
export function attachRecentErrors(logger: object, recent: RecentErrors): void {
  byLogger.set(logger, recent);
}

/** The recent errors of `logger`'s root (pino's child loggers inherit from their parent), if any. */
export function recentErrorsOf(logger: object): RecentErrors | undefined {
  for (let current: object | null = logger; current; current = Object.getPrototypeOf(current) as object | null) {
    const recent = byLogger.get(current);
    if (recent) return recent;
  }
  return undefined;
}
